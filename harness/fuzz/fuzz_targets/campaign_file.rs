//! libFuzzer entry point: [`faultline_fuzz::campaign_file`] on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faultline_fuzz::campaign_file(data));
