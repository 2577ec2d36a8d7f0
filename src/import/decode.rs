//! Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030; binary refused;
//! PDF through `pdftotext -layout`.

use std::borrow::Cow;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use encoding_rs::{Encoding, GB18030, UTF_8};

use super::ImportError;

/// The largest input accepted.
pub const MAX_INPUT: usize = 256 << 20;

/// Text decoded, and how.
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
    /// Characters that could not be decoded (replaced by U+FFFD).
    pub replaced: usize,
}

/// Decodes bytes as text, refusing binary data.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, ImportError> {
    if bytes.len() > MAX_INPUT {
        return Err(ImportError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT,
        });
    }
    // Control bytes never occur inside UTF-8 or GBK characters: many of them in the first
    // 64 KiB mean binary data, refused before any decoding (UTF-16 has a BOM and is exempt).
    let head = &bytes[..bytes.len().min(1 << 16)];
    let controls = count_controls(head);
    if Encoding::for_bom(bytes).is_none() && controls * 20 > head.len() {
        return Err(ImportError::Binary {
            undecodable: 0,
            control: controls,
        });
    }
    let decoded = if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
        let replaced = if had_errors { count_replaced(&text) } else { 0 };
        let name = if enc == UTF_8 {
            "UTF-8 (BOM)"
        } else {
            enc.name()
        };
        Decoded {
            text,
            encoding: name,
            replaced,
        }
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        Decoded {
            text: Cow::Borrowed(s),
            encoding: "UTF-8",
            replaced: 0,
        }
    } else if let Some(text) = GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Decoded {
            text,
            encoding: "GB18030",
            replaced: 0,
        }
    } else {
        // Neither decodes cleanly: take the one with fewer undecodable characters.
        let (u, _) = UTF_8.decode_without_bom_handling(bytes);
        let (g, _) = GB18030.decode_without_bom_handling(bytes);
        let (ru, rg) = (count_replaced(&u), count_replaced(&g));
        if rg < ru {
            Decoded {
                text: g,
                encoding: "GB18030",
                replaced: rg,
            }
        } else {
            Decoded {
                text: u,
                encoding: "UTF-8",
                replaced: ru,
            }
        }
    };
    // Characters (UTF-8 lead bytes) and control characters, counted over the first MiB,
    // when there is anything to count.
    let raw_len = bytes.len();
    let all = decoded.text.as_bytes();
    let bytes = &all[..all.len().min(1 << 20)];
    let c1 = |w: &[u8]| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]);
    // The text is the input itself (UTF-8, no BOM) and was counted whole above.
    let c0 = if decoded.encoding == "UTF-8" && decoded.replaced == 0 && raw_len <= head.len() {
        controls
    } else {
        count_controls(bytes)
    };
    let suspicious =
        decoded.replaced > 0 || c0 > 0 || (bytes.contains(&0xC2) && bytes.windows(2).any(c1));
    let (chars, control) = if suspicious {
        (
            bytes.iter().filter(|&&b| (b as i8) >= -0x40).count(),
            c0 + bytes.windows(2).filter(|w| c1(w)).count(),
        )
    } else {
        (1, 0)
    };
    let chars = chars.max(1);
    if (decoded.replaced + control) * 20 > chars {
        return Err(ImportError::Binary {
            undecodable: decoded.replaced,
            control,
        });
    }
    Ok(decoded)
}

/// C0 control bytes other than tab, line feed, carriage return and form feed, and DEL.
/// Branch-free, so it vectorises.
fn count_controls(bytes: &[u8]) -> usize {
    // Byte-wide counters over chunks of 255: the loop vectorises.
    bytes
        .chunks(255)
        .map(|chunk| {
            let mut n: u8 = 0;
            for &b in chunk {
                let white = (b == b'\n') | (b == b'\r') | (b == b'\t') | (b == 0x0C);
                n += u8::from(((b < 0x20) & !white) | (b == 0x7F));
            }
            usize::from(n)
        })
        .sum()
}

fn count_replaced(s: &str) -> usize {
    s.chars().filter(|&c| c == '\u{FFFD}').count()
}

/// Whether the bytes are a PDF file.
pub(crate) fn is_pdf(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

/// How long pdftotext may run.
const PDF_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `pdftotext -layout -enc UTF-8` on a PDF and returns its text.
pub(crate) fn pdf_to_text(bytes: &[u8]) -> Result<String, ImportError> {
    let dir = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!("gx-import-{}-{stamp}.pdf", std::process::id()));
    std::fs::write(&path, bytes).map_err(|e| ImportError::Pdf(format!("temporary file: {e}")))?;
    let result = run_pdftotext(&path);
    let _ = std::fs::remove_file(&path);
    result
}

fn run_pdftotext(path: &std::path::Path) -> Result<String, ImportError> {
    let mut child = Command::new("pdftotext")
        .arg("-layout")
        .arg("-enc")
        .arg("UTF-8")
        .arg(path)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ImportError::PdfToolMissing
            } else {
                ImportError::Pdf(format!("cannot run pdftotext: {e}"))
            }
        })?;
    // Read stdout on a thread so a large output cannot block the child while we wait.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_end(&mut buf);
        }
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > PDF_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ImportError::Pdf(format!(
                    "pdftotext did not finish within {} s",
                    PDF_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(ImportError::Pdf(format!("pdftotext: {e}"))),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        return Err(ImportError::Pdf(format!(
            "pdftotext failed ({status}): {}",
            err.lines().next().unwrap_or("").trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}
