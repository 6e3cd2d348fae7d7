//! `faultline`: the command-line front door.
fn main() {}
