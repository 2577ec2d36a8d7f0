//! Messages that mirror a library struct field for field: one declaration per pair gives
//! `From` both ways (findings, explanations, diffs, the narrative, the body).
//!
//! The struct literals name every field, so a field added on one side and not the other
//! fails to compile instead of being dropped on the wire.

use crate::crossyear::Explanation;
use crate::diff as df;
use crate::model::{Narrative, Org, Section, Subsection};
use crate::pb;
use crate::rules::{Candidate, Finding, Severity, Suggestion};

/// A value taken across the wire, either way.
pub(super) trait Wire<T> {
    fn wire(&self) -> T;
}

/// Values that are the same on both sides.
macro_rules! same {
    ($($t:ty),*) => { $(
        impl Wire<$t> for $t {
            fn wire(&self) -> $t {
                self.clone()
            }
        }
    )* };
}

same!(String, bool, u32, u64, f64);

/// Counts are `u32` on the wire.
impl Wire<u32> for usize {
    fn wire(&self) -> u32 {
        *self as u32
    }
}

impl Wire<usize> for u32 {
    fn wire(&self) -> usize {
        *self as usize
    }
}

impl<A: Wire<B>, B> Wire<Vec<B>> for Vec<A> {
    fn wire(&self) -> Vec<B> {
        self.iter().map(Wire::wire).collect()
    }
}

impl<A: Wire<B>, B> Wire<Option<B>> for Option<A> {
    fn wire(&self) -> Option<B> {
        self.as_ref().map(Wire::wire)
    }
}

impl From<Severity> for pb::Severity {
    fn from(s: Severity) -> pb::Severity {
        match s {
            Severity::Error => pb::Severity::Error,
            Severity::Warning => pb::Severity::Warning,
        }
    }
}

impl Wire<i32> for Severity {
    fn wire(&self) -> i32 {
        pb::Severity::from(*self) as i32
    }
}

/// An unknown or unspecified severity reads as a warning.
impl Wire<Severity> for i32 {
    fn wire(&self) -> Severity {
        match pb::Severity::try_from(*self) {
            Ok(pb::Severity::Error) => Severity::Error,
            _ => Severity::Warning,
        }
    }
}

/// Both sides of a diff are always sent; a side left out reads as an empty one.
impl Wire<Option<pb::DiffSide>> for df::Side {
    fn wire(&self) -> Option<pb::DiffSide> {
        Some(self.wire())
    }
}

impl Wire<df::Side> for Option<pb::DiffSide> {
    fn wire(&self) -> df::Side {
        match self {
            Some(s) => s.wire(),
            None => pb::DiffSide::default().wire(),
        }
    }
}

/// Narrative parts are left out of the wire when empty, and read as empty when left out.
macro_rules! left_out_when_empty {
    ($($model:ident = pb::$message:ident),*) => { $(
        impl Wire<Option<pb::$message>> for $model {
            fn wire(&self) -> Option<pb::$message> {
                (!self.is_empty()).then(|| self.wire())
            }
        }

        impl Wire<$model> for Option<pb::$message> {
            fn wire(&self) -> $model {
                self.as_ref().map(Wire::wire).unwrap_or_default()
            }
        }
    )* };
}

left_out_when_empty!(Section = pb::Section, Narrative = pb::Narrative);

/// Declares a library struct and its message as mirrors: `From` both ways, field by field.
macro_rules! mirror {
    ($($($m:ident)::+ = pb::$message:ident { $($f:ident),* $(,)? })*) => { $(
        impl Wire<pb::$message> for $($m)::+ {
            fn wire(&self) -> pb::$message {
                pb::$message { $($f: self.$f.wire()),* }
            }
        }

        impl Wire<$($m)::+> for pb::$message {
            fn wire(&self) -> $($m)::+ {
                $($m)::+ { $($f: self.$f.wire()),* }
            }
        }

        impl From<&$($m)::+> for pb::$message {
            fn from(x: &$($m)::+) -> pb::$message {
                x.wire()
            }
        }

        impl From<&pb::$message> for $($m)::+ {
            fn from(x: &pb::$message) -> $($m)::+ {
                x.wire()
            }
        }
    )* };
}

mirror! {
    Org = pb::Org { id, name }
    Subsection = pb::Subsection { title, text }
    Section = pb::Section { text, subsections }
    Narrative = pb::Narrative { preamble, overview, problems, other }
    Explanation = pb::Explanation { rule, text }
    Candidate = pb::Candidate { cell, label, value }
    Suggestion = pb::Suggestion { candidates, message }
    Finding = pb::Finding { rule, severity, cells, labels, expected, actual, suggestion, message }
    df::Side = pb::DiffSide {
        org_id, org_name, year, edition, revision, valid, errors, warnings, findings, explanations
    }
    df::CellDiff = pb::CellDiff { key, label, old_cells, new_cells, old, new, delta, pct, changed }
    df::TableDiff = pb::TableDiff { table, heading, cells }
    df::NotComparable = pb::NotComparable { side, cell, label, value }
    df::TextChange = pb::TextChange { op, text }
    df::SectionDiff = pb::SectionDiff { section, heading, similarity, changes }
    df::CarryColumn = pb::CarryColumn { previous_cell, cell, label, previous, carried, ok }
    df::CarryOver = pb::CarryOver { ok, columns }
    df::FigureDiff = pb::NarrativeFigure { quantity, name, old, new, changed }
    df::Diff = pb::Diff { old, new, tables, not_comparable, narrative, carry_over, figures }
}
