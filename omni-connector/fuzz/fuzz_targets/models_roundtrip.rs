//! The wire models' JSON: an event or a manifest that decodes encodes and
//! decodes again to the same value (decode, encode, decode equals).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_connector::{ConnectorEvent, ConnectorManifest};

fn check<T>(data: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let bytes = serde_json::to_vec(&value).expect("a decoded model encodes");
    let again: T = match serde_json::from_slice(&bytes) {
        Ok(again) => again,
        Err(e) => panic!(
            "{e}: {value:?} encoded as {} does not decode",
            String::from_utf8_lossy(&bytes)
        ),
    };
    assert_eq!(again, value, "{}", String::from_utf8_lossy(&bytes));
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        check::<ConnectorEvent>(rest);
    } else {
        check::<ConnectorManifest>(rest);
    }
});
