//! trybuild UI tests of the macros: `ui/pass` must compile, each file of
//! `ui/fail` must fail with exactly its `.stderr` (one check per file,
//! named after it). `TRYBUILD=overwrite` regenerates the `.stderr` files;
//! read every diff before keeping it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
