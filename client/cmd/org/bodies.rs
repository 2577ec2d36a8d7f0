//! Body lists as CSV — `id,name,level,parent`, a header line first — as `gxctl org import`
//! reads them and `gxctl org export` writes them. The csv crate reads and writes the quoting.

use anyhow::Result;
use csv::StringRecord;

use gx::orgs::Level;
use gx::pb;

use crate::exit::{Exit, Failure};
use crate::show::level_name;

/// The columns `org export` writes.
const COLUMNS: [&str; 4] = ["id", "name", "level", "parent"];

/// A body for the wire.
pub fn body_pb(id: &str, name: &str, level: Level, parent: Option<&str>) -> pb::Body {
    pb::Body {
        id: id.to_string(),
        name: name.to_string(),
        level: pb::OrgLevel::from(level) as i32,
        parent: parent.unwrap_or_default().to_string(),
        ..Default::default()
    }
}

/// Reads `id,name,level,parent` rows (header first; columns in any order, others ignored).
pub fn read(path: &str) -> Result<Vec<pb::Body>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(Exit::Usage, format!("cannot read {path}: {e}")))?;
    let usage = |m: String| Failure::new(Exit::Usage, format!("{path}: {m}"));
    let rows = records(&text).map_err(usage)?;
    let Some(((_, header), rows)) = rows.split_first() else {
        return Err(usage("empty; expected a header line id,name,level,parent".into()).into());
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(id), Some(name), Some(level)) = (col("id"), col("name"), col("level")) else {
        return Err(usage(format!(
            "the header {:?} must name the columns id, name, level (and optionally parent)",
            header.iter().collect::<Vec<_>>().join(",")
        ))
        .into());
    };
    let parent = col("parent");
    let mut out = Vec::new();
    for (line, r) in rows {
        let get = |i: usize| r.get(i).map(|s| s.trim()).unwrap_or("");
        let lvl: Level = get(level)
            .parse()
            .map_err(|m: String| usage(format!("line {line}: {m}")))?;
        let p = parent.map(get).filter(|p| !p.is_empty());
        if get(id).is_empty() {
            return Err(usage(format!("line {line}: no id")).into());
        }
        out.push(body_pb(get(id), get(name), lvl, p));
    }
    Ok(out)
}

/// The bodies as CSV, header first, in the order given.
pub fn write<'a>(bodies: impl IntoIterator<Item = &'a pb::Body>) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for b in bodies {
        w.write_record([
            b.id.as_str(),
            b.name.as_str(),
            level_name(b.level),
            b.parent.as_str(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes)?)
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// The records of a CSV text, each with the line it starts on for messages. Blank lines and
/// lines of spaces are passed over; a byte-order mark is skipped. A quoted field still open at
/// the end is an error: the csv crate would take the rest of the file as the field.
fn records(text: &str) -> Result<Vec<(usize, StringRecord)>, String> {
    let bytes = text.as_bytes();
    let mut reader = reader(text);
    let mut out = Vec::new();
    let (mut line, mut counted, mut start) = (1, 0, None);
    loop {
        let at = reader.position().byte() as usize;
        let mut record = StringRecord::new();
        if !reader.read_record(&mut record).map_err(|e| e.to_string())? {
            break;
        }
        // The reader's position stops before the line ends (and blank lines) that precede a
        // record: the record starts at the first other byte.
        let first = at
            + bytes[at..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        line += bytes[counted..first]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted = first;
        start = Some(first);
        if !(record.len() == 1 && record[0].trim().is_empty()) {
            out.push((line, record));
        }
    }
    if start.is_some_and(|s| ends_in_quotes(&text[s..])) {
        return Err(format!("line {line}: a quoted field is not closed"));
    }
    Ok(out)
}

/// Whether `tail`, the last record and what follows it, ends inside a quoted field. Closing
/// the quote then changes none of the records read; after a closed field the added quote
/// would start or change one.
fn ends_in_quotes(tail: &str) -> bool {
    let read = |text: &str| -> Vec<StringRecord> {
        reader(text).into_records().filter_map(Result::ok).collect()
    };
    read(tail) == read(&format!("{tail}\"\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_both_ways() {
        let body = pb::Body {
            id: "621024".into(),
            name: "合水县, \"新\"".into(),
            level: pb::OrgLevel::from(Level::County) as i32,
            ..Default::default()
        };
        let text = write([&body]).unwrap();
        assert_eq!(
            text,
            "id,name,level,parent\n621024,\"合水县, \"\"新\"\"\",县,\n"
        );
        let rows = records(&format!("\u{feff}id,name\r\n\n{}", &text[21..])).unwrap();
        assert_eq!(rows[1].0, 3);
        assert_eq!(
            rows[1].1.iter().collect::<Vec<_>>(),
            ["621024", "合水县, \"新\"", "县", ""]
        );
    }

    #[test]
    fn lines_are_where_records_start() {
        let text = "id,name\r\n\r\n1,a\r\n  \r\n\"x\ny\",b\r\n3,c";
        let lines: Vec<usize> = records(text).unwrap().iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 3, 5, 7]);
        assert_eq!(
            records("id\n1,\"open\n2,x\n").unwrap_err(),
            "line 2: a quoted field is not closed"
        );
        assert!(records("id\n\"a\"b,c\"d\n\"\"").is_ok());
    }
}
