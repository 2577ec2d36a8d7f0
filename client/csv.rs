//! Just enough CSV (RFC 4180) for body lists and exports: fields quoted when they hold a
//! comma, a quote or a line break; quotes doubled.

/// One field as written.
pub fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Appends one record (with its line end) to `out`.
pub fn record<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(f));
    }
    out.push('\n');
}

/// Reads records: each with the line it starts on. A UTF-8 byte-order mark is skipped; blank
/// lines are skipped.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None => {
                    if quoted {
                        return Err(format!("line {start}: a quoted field is not closed"));
                    }
                    fields.push(std::mem::take(&mut cur));
                    break;
                }
                Some('"') if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        cur.push('"');
                    } else {
                        quoted = false;
                    }
                }
                Some('"') if cur.is_empty() => quoted = true,
                Some(c @ ('\n' | '\r')) if quoted => {
                    if c == '\n' {
                        line += 1;
                    }
                    cur.push(c);
                }
                Some(',') if !quoted => fields.push(std::mem::take(&mut cur)),
                Some('\r') => {}
                Some('\n') => {
                    line += 1;
                    fields.push(std::mem::take(&mut cur));
                    break;
                }
                Some(c) => cur.push(c),
            }
        }
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            out.push((start, fields));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut s = String::new();
        record(&mut s, ["621024", "合水县, \"新\"", "县", ""]);
        assert_eq!(s, "621024,\"合水县, \"\"新\"\"\",县,\n");
        let rows = parse(&format!("\u{feff}id,name\r\n\n{s}")).unwrap();
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].1, ["621024", "合水县, \"新\"", "县", ""]);
    }
}
