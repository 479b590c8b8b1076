//! `cargo run -p eventfold-jvm --bin uniffi-bindgen -- generate --library ...`:
//! UniFFI's generator, at exactly the version the library was built with.

fn main() {
    uniffi::uniffi_bindgen_main()
}
