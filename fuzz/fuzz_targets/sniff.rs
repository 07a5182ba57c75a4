#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferret::hashsets::detect::sniff_bytes(data);
});
