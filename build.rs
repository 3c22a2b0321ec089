//! The built-in themes and the `new` site skeleton are compiled into the
//! binary with `include_dir!`; rebuild when any of their files changes.

fn main() {
    println!("cargo:rerun-if-changed=themes");
    println!("cargo:rerun-if-changed=src/skeleton");
}
