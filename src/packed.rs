//! A report's cell values packed into a few hundred bytes, stored beside each revision so that
//! roll-up and export read values without decoding the report.
//!
//! One entry per template cell, in template order: a tag byte — 0 absent, 1 blank, 2 not
//! applicable, 3 a whole number (then its zigzag varint), 4 an amount (then a varint length
//! and the decimal's canonical text).

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::model::Value;
use crate::template::Edition;

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn get_varint(buf: &mut &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        n |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(n);
        }
    }
    None
}

/// Packs the values of a report (in template order).
pub fn pack(values: impl IntoIterator<Item = Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    for v in values {
        match v {
            Value::Absent => out.push(0),
            Value::Blank => out.push(1),
            Value::NotApplicable => out.push(2),
            Value::Int(n) => {
                out.push(3);
                put_varint(&mut out, ((n << 1) ^ (n >> 63)) as u64);
            }
            Value::Amount(d) => {
                out.push(4);
                let s = d.to_string();
                put_varint(&mut out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

/// Unpacks the values of a report of `edition`; `None` when the bytes are not a packing of
/// such a report.
pub fn unpack(edition: Edition, mut buf: &[u8]) -> Option<Vec<Value>> {
    let n = edition.template().cells.len();
    let mut out = Vec::with_capacity(n);
    while let Some((&tag, rest)) = buf.split_first() {
        buf = rest;
        out.push(match tag {
            0 => Value::Absent,
            1 => Value::Blank,
            2 => Value::NotApplicable,
            3 => {
                let z = get_varint(&mut buf)?;
                Value::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            4 => {
                let len = usize::try_from(get_varint(&mut buf)?).ok()?;
                if len > buf.len() {
                    return None;
                }
                let (text, rest) = buf.split_at(len);
                buf = rest;
                Value::Amount(Decimal::from_str(std::str::from_utf8(text).ok()?).ok()?)
            }
            _ => return None,
        });
    }
    (out.len() == n).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for e in Edition::ALL {
            let mut r = crate::synth::consistent(e, 5);
            r.cells[0].value = Value::Int(-123_456_789_012);
            r.cells[1].value = Value::Blank;
            r.cells[2].value = Value::NotApplicable;
            let values: Vec<Value> = r.cells.iter().map(|c| c.value).collect();
            let packed = pack(values.clone());
            assert_eq!(unpack(e, &packed), Some(values));
            assert_eq!(unpack(e, &packed[..packed.len() - 1]), None);
        }
    }
}
