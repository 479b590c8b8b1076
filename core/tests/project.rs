//! The project's own paperwork: one license, named alike by every
//! manifest, and no placeholder URLs in what users install.

use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const MANIFESTS: [&str; 6] = [
    "Cargo.toml",
    "bindings/node/package.json",
    "bindings/python/pyproject.toml",
    "bindings/jvm/pom.xml",
    "bindings/ruby/eventfold.gemspec",
    "bindings/php/composer.json",
];

#[test]
fn every_manifest_names_the_license_the_license_file_holds() {
    let license = read("LICENSE");
    assert!(
        license.trim_start().starts_with("Apache License") && license.contains("Version 2.0"),
        "LICENSE is the Apache License 2.0"
    );
    for m in MANIFESTS {
        let text = read(m);
        assert!(
            text.contains("Apache-2.0") || text.contains("Apache License, Version 2.0"),
            "{m} names Apache-2.0"
        );
    }
}

#[test]
fn no_placeholder_urls_in_what_users_install() {
    for f in MANIFESTS
        .iter()
        .chain(&["include/eventfold.pc.in", "README.md"])
    {
        assert!(
            !read(f).contains("example.invalid"),
            "{f} has a placeholder URL: give a real one or none"
        );
    }
}
