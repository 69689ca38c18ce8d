//! The control socket's request decoder over arbitrary bytes: one request
//! line as the daemon reads it from a client. Checked beyond "no panic":
//! - a line longer than `MAX_REQUEST_BYTES` is refused as too long, and
//!   only such a line is;
//! - a decoded request encodes and decodes back to itself;
//! - the daemon's half of `check` (the text validated without reading any
//!   file, `read_route_files: false`) takes whatever text a client sends.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use silkroute_config::{Config, LoadOptions};
use silkroute_control_plane::api::{decode_request, DecodeError, Request, MAX_REQUEST_BYTES};

fuzz_target!(|data: &[u8]| {
    match decode_request(data) {
        Ok(request) => {
            let line = serde_json::to_vec(&request).expect("a request encodes");
            assert_eq!(
                decode_request(&line).expect("an encoded request decodes"),
                request
            );
            if let Request::Check { path, text } = &request {
                let opts = LoadOptions {
                    read_route_files: false,
                    ..silkroute_fuzz::load_options().clone()
                };
                if let Err(errors) = Config::from_str_with(text, Path::new(path), &opts) {
                    let _ = errors.to_string();
                }
            }
        }
        Err(DecodeError::TooLong) => assert!(data.len() > MAX_REQUEST_BYTES),
        Err(DecodeError::Invalid(_)) => assert!(data.len() <= MAX_REQUEST_BYTES),
    }
});
