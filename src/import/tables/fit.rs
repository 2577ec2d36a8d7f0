//! Fitting a row's slots to its columns, and placing the fitted values into cells.

use super::units::Slot;
use super::Tables;
use crate::import::doc::Loc;
use crate::import::normalize::{clip, read_cell};
use crate::import::Unreadable;
use crate::model::Cell;
use crate::template::{CellIx, Template};

/// How a row's slots fill its columns.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fit<'s> {
    Blank,
    Cell(&'s Slot),
    /// A number in a cell merged over several columns.
    Spanned(&'s Slot),
}

pub(super) fn fit(slots: &[Slot], n: usize, structured: bool) -> Result<Vec<Fit<'_>>, String> {
    // One cell per column, whatever the cells span in a wider grid.
    if slots.len() == n && slots.iter().all(|s| !matches!(s, Slot::Unknown)) {
        return Ok(slots
            .iter()
            .map(|s| match s {
                Slot::Cell { .. } => Fit::Cell(s),
                _ => Fit::Blank,
            })
            .collect());
    }
    let mut v: Vec<Fit> = Vec::new();
    let mut unknown = false;
    for s in slots {
        match s {
            Slot::Empty { span } => v.extend((0..*span).map(|_| Fit::Blank)),
            Slot::Unknown => unknown = true,
            Slot::Cell { text, span, .. } => {
                if *span > 1 && s.is_number() {
                    v.extend((0..*span).map(|_| Fit::Spanned(s)));
                } else {
                    let _ = text;
                    v.extend((0..*span).map(|_| Fit::Cell(s)));
                }
            }
        }
        if v.len() > 4 * n + 64 {
            break;
        }
    }
    let k = v.iter().filter(|f| !matches!(f, Fit::Blank)).count();
    if !unknown && v.len() == n {
        return Ok(v);
    }
    if k == n {
        return Ok(v.into_iter().filter(|f| !matches!(f, Fit::Blank)).collect());
    }
    if k == 0 {
        return Ok(vec![Fit::Blank; n]);
    }
    if !unknown && v.len() > n && k < n {
        let mut w = v.clone();
        let trim_front = |w: &mut Vec<Fit>| {
            while w.len() > n && matches!(w.first(), Some(Fit::Blank)) {
                w.remove(0);
            }
        };
        let trim_back = |w: &mut Vec<Fit>| {
            while w.len() > n && matches!(w.last(), Some(Fit::Blank)) {
                w.pop();
            }
        };
        if structured {
            trim_front(&mut w);
            trim_back(&mut w);
        } else {
            trim_back(&mut w);
            trim_front(&mut w);
        }
        if w.len() == n {
            return Ok(w);
        }
    }
    if k > n {
        return Err(format!("有{k}个数值，多于该行的{n}栏"));
    }
    Err(format!("只有{k}个数值，该行有{n}栏，无法确定哪些栏为空"))
}

pub(super) fn place(t: &Template, start: CellIx, fits: &[Fit<'_>], loc: Loc, out: &mut Tables) {
    for (i, f) in fits.iter().enumerate() {
        let ix = start + i as CellIx;
        let def = t.cell(ix);
        match f {
            Fit::Blank => {
                out.cells[ix as usize] = Some(Cell::BLANK);
            }
            Fit::Cell(Slot::Cell { text, loc, .. }) => match read_cell(text, def.kind()) {
                Ok(cell) => {
                    out.cells[ix as usize] = Some(cell);
                }
                Err(reason) => {
                    out.cells[ix as usize] = Some(Cell {
                        value: crate::model::Value::Blank,
                        raw: Some(text.clone()),
                    });
                    out.unreadable.push(Unreadable {
                        key: def.key.clone(),
                        label: t.label(ix),
                        loc: Some(*loc),
                        text: Some(text.clone()),
                        reason,
                    });
                }
            },
            Fit::Spanned(Slot::Cell { text, loc, .. }) => out.unreadable.push(Unreadable {
                key: def.key.clone(),
                label: t.label(ix),
                loc: Some(*loc),
                text: Some(text.clone()),
                reason: format!("「{}」是跨多栏的合并单元格，无法确定属于哪一栏", clip(text)),
            }),
            _ => out.unreadable.push(Unreadable {
                key: def.key.clone(),
                label: t.label(ix),
                loc: Some(loc),
                text: None,
                reason: "无法读取".to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::doc::Loc;

    fn cell(t: &str) -> Slot {
        Slot::Cell {
            text: t.into(),
            loc: Loc::default(),
            span: 1,
            pos: None,
        }
    }

    #[test]
    fn fitting_never_guesses() {
        let s = vec![cell("1"), cell("2")];
        assert!(fit(&s, 3, false).is_err());
        let s = vec![cell("1"), Slot::Empty { span: 1 }, cell("2")];
        assert_eq!(fit(&s, 3, false).unwrap().len(), 3);
        let s = vec![Slot::Empty { span: 1 }, cell("1"), cell("2"), cell("3")];
        assert_eq!(fit(&s, 3, true).unwrap().len(), 3);
        let s = vec![cell("1"), Slot::Unknown, cell("2")];
        assert!(fit(&s, 3, false).is_err());
        assert!(matches!(
            fit(&[], 3, false).unwrap()[..],
            [Fit::Blank, Fit::Blank, Fit::Blank]
        ));
    }
}
