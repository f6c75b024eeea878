//! The connector's request handling: the bodies of `POST /sync`,
//! `/cancel` and `/action` decoded as the endpoints do, and routing,
//! including `GET /sync/{id}`'s path parsing. Nothing may panic; what
//! decodes must encode and decode to the same value; a decoded run id is
//! a non-empty segment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_connector::__fuzz;

fn round_trip<T>(value: &T, decode: fn(&[u8]) -> Result<T, String>)
where
    T: serde::Serialize + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(value).expect("a decoded request encodes");
    let again = decode(&bytes).expect("an encoded request decodes");
    assert_eq!(&again, value);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => {
            if let Ok(request) = __fuzz::decode_sync(rest) {
                round_trip(&request, __fuzz::decode_sync);
            }
        }
        1 => {
            if let Ok(request) = __fuzz::decode_cancel(rest) {
                round_trip(&request, __fuzz::decode_cancel);
            }
        }
        2 => {
            if let Ok(request) = __fuzz::decode_action(rest) {
                round_trip(&request, __fuzz::decode_action);
            }
        }
        _ => {
            // "METHOD path": the method up to the first space.
            let split = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
            let (method, path) = rest.split_at(split);
            let path = String::from_utf8_lossy(path.get(1..).unwrap_or_default());
            let (route, id) = __fuzz::route(method, &path);
            if let Some(id) = id {
                assert_eq!(route, "sync status");
                assert!(!id.is_empty());
            }
        }
    }
});
