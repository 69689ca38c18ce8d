//! The YAML config loader: parse, schema, validation and error reporting
//! over arbitrary text. Errors must carry a position inside the text.
//!
//! The loader reads the route files a config names. Relative paths resolve
//! under a directory that does not exist; inputs that could name a device
//! or a kernel file (`/dev/zero` would never finish) are skipped: any
//! mention of `dev`, `proc` or `sys`, YAML escapes (which can spell them)
//! and `!!binary` scalars.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use silkroute_config::Config;
use silkroute_fuzz::load_options;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if ["dev", "proc", "sys", "\\", "binary"]
        .iter()
        .any(|s| text.contains(s))
    {
        return;
    }
    let path = Path::new("/nonexistent/silkroute-fuzz/config.yaml");
    match Config::from_str_with(text, path, load_options()) {
        Ok(cfg) => {
            let _ = cfg.summary();
        }
        Err(errors) => {
            let _ = errors.to_string();
        }
    }
});
