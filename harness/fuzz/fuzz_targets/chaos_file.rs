//! libFuzzer entry point: [`faultline_fuzz::chaos_file`] on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faultline_fuzz::chaos_file(data));
