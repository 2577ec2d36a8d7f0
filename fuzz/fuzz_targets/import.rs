//! The importer on any bytes, read as each form: it returns an import or an error, never
//! panics, never hangs, and never places a number it did not read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for hint in [None, Some("x.html"), Some("x.md"), Some("x.txt")] {
        if let Ok(imported) = gx::import::import_bytes(data, hint) {
            let _ = imported.summary();
            let _ = gx::files::write(&imported.report, gx::files::Format::Cells);
            let _ = gx::rules::validate(&imported.report);
        }
    }
});
