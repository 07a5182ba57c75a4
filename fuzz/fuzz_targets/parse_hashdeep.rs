#![no_main]
use ferret::hashsets::{ParseReport, formats};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut report = ParseReport::default();
    let mut n = 0u64;
    let _ = formats::hashdeep::parse(&mut &data[..], &mut report, &mut |_| n += 1);
    assert_eq!(n, report.entries);
});
