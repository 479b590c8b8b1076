//! `include/eventfold.h` is committed; this test fails when it no longer
//! matches what cbindgen makes of `src/lib.rs`. `EVENTFOLD_BLESS=1`
//! rewrites it instead.

use std::path::Path;

#[test]
fn header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");

    let path = crate_dir.join("../../include/eventfold.h");
    if std::env::var_os("EVENTFOLD_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("include/eventfold.h is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/eventfold.h is stale: run `EVENTFOLD_BLESS=1 cargo test -p eventfold-ffi --test header` and commit it"
    );
}
