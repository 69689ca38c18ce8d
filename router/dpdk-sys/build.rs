//! Links the system DPDK and generates its bindings, only with the `dpdk`
//! feature (without it the crate is empty, so a default workspace build
//! needs neither DPDK nor libclang).
//!
//! - `pkg-config --libs libdpdk` (Debian's `libdpdk-dev`, 22.11) gives the
//!   shared libraries to link; `--cflags` the flags for bindgen and the shim
//!   (they force-include `rte_config.h` and set `-march`).
//! - bindgen (libclang) binds `csrc/wrapper.h`, allowlisting `rte_*`/`RTE_*`
//!   and the shim's `silkroute_shim_*`.
//! - `csrc/shim.c` (cc) gives out-of-line copies of the `static inline`
//!   functions bindgen cannot bind.

fn main() {
    #[cfg(feature = "dpdk")]
    dpdk::build();
}

#[cfg(feature = "dpdk")]
mod dpdk {
    use std::env;
    use std::path::PathBuf;
    use std::process::Command;

    /// The oldest DPDK whose API the bindings and the shim were written against.
    const MIN_VERSION: &str = "22.11";

    pub fn build() {
        println!("cargo:rerun-if-changed=csrc/wrapper.h");
        println!("cargo:rerun-if-changed=csrc/shim.h");
        println!("cargo:rerun-if-changed=csrc/shim.c");
        println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

        let lib = pkg_config::Config::new()
            .atleast_version(MIN_VERSION)
            .probe("libdpdk")
            .unwrap_or_else(|e| {
                panic!(
                    "silkroute-dpdk-sys (feature `dpdk`) needs DPDK >= {MIN_VERSION} found by \
                     pkg-config as `libdpdk`: on Debian/Ubuntu `apt-get install libdpdk-dev \
                     pkg-config libclang-dev`. pkg-config said: {e}"
                )
            });
        let cflags = cflags();

        let mut shim = cc::Build::new();
        shim.file("csrc/shim.c").include("csrc").warnings(false);
        for path in &lib.include_paths {
            shim.include(path);
        }
        for flag in &cflags {
            shim.flag(flag);
        }
        shim.compile("silkroute_dpdk_shim");

        let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
        bindgen::Builder::default()
            .header("csrc/wrapper.h")
            .clang_arg("-Icsrc")
            .clang_args(&cflags)
            .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
            .allowlist_function("rte_.*")
            .allowlist_function("silkroute_shim_.*")
            .allowlist_type("rte_.*")
            .allowlist_var("RTE_.*")
            // Types DPDK declares both packed and aligned, which Rust cannot
            // express; nothing here reaches into them, so they stay opaque.
            .opaque_type("rte_arp_ipv4")
            .opaque_type("rte_arp_hdr")
            .opaque_type("rte_l2tpv2_combined_msg_hdr")
            .opaque_type("rte_gtp_psc_generic_hdr")
            .derive_default(true)
            .prepend_enum_name(false)
            .default_enum_style(bindgen::EnumVariation::Consts)
            .layout_tests(true)
            .generate()
            .expect("bindgen failed on csrc/wrapper.h (libclang-dev installed?)")
            .write_to_file(out.join("bindings.rs"))
            .expect("write bindings.rs");
    }

    /// `pkg-config --cflags libdpdk`, split into arguments.
    fn cflags() -> Vec<String> {
        let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_owned());
        let out = Command::new(&pkg_config)
            .args(["--cflags", "libdpdk"])
            .output()
            .unwrap_or_else(|e| panic!("run {pkg_config} --cflags libdpdk: {e}"));
        assert!(
            out.status.success(),
            "{pkg_config} --cflags libdpdk failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }
}
