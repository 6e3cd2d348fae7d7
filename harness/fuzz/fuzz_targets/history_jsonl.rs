//! libFuzzer entry point: [`faultline_fuzz::history_jsonl`] on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| faultline_fuzz::history_jsonl(data));
