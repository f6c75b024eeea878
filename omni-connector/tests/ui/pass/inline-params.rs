//! Inline action parameters of every supported type, `#[param]` names and
//! descriptions, raw identifiers, and the action keys.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use omni_connector::prelude::*;
use serde_json::Value;

struct Types;

#[connector(name = "types", version = "1.0.0")]
impl Types {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }

    /// Strings, numbers and booleans.
    #[action(mode = "read", name = "scalars", required_scopes("a", "b"), source_types(slack))]
    #[allow(clippy::too_many_arguments)]
    async fn scalar_types(
        &self,
        #[param(description = "Some text")] s: String,
        borrowed: &str,
        c: char,
        b: bool,
        a: i8,
        d: i16,
        e: i32,
        f: i64,
        g: i128,
        h: isize,
    ) {
        let _ = (s, borrowed, c, b, a, d, e, f, g, h);
    }

    /// Unsigned and floats.
    #[action(admin_only = true, hidden = false)]
    #[allow(clippy::too_many_arguments)]
    async fn numbers(&self, a: u8, b: u16, c: u32, d: u64, e: u128, f: usize, g: f32, h: f64) {
        let _ = (a, b, c, d, e, f, g, h);
    }

    /// Containers.
    #[action]
    #[allow(clippy::too_many_arguments)]
    async fn containers(
        &self,
        v: Vec<u8>,
        q: VecDeque<String>,
        hs: HashSet<String>,
        bs: BTreeSet<i32>,
        hm: HashMap<String, Vec<bool>>,
        bm: BTreeMap<String, f64>,
        boxed: Box<str>,
        nested: Option<Vec<Option<String>>>,
    ) {
        let _ = (v, q, hs, bs, hm, bm, boxed, nested);
    }

    /// JSON values and times.
    #[action]
    async fn json_and_time(
        &self,
        any: Value,
        object: serde_json::Map<String, Value>,
        when: DateTime<Utc>,
        day: Option<chrono::NaiveDate>,
        #[param(name = "type", description = "A renamed parameter")] r#type: String,
        r#match: bool,
    ) {
        let _ = (any, object, when, day, r#type, r#match);
    }
}

fn main() {
    let m = Types.manifest();
    let scalars = m.action("scalars").unwrap();
    assert_eq!(scalars.required_scopes.as_deref(), Some(&["a".to_owned(), "b".to_owned()][..]));
    assert_eq!(scalars.source_types, ["slack"]);
    assert_eq!(scalars.input_schema["properties"]["s"]["description"], "Some text");
    let json_and_time = m.action("json_and_time").unwrap();
    assert_eq!(json_and_time.input_schema["properties"]["type"]["description"], "A renamed parameter");
    assert!(json_and_time.input_schema["properties"]["match"].is_object());
    assert!(m.action("numbers").unwrap().admin_only);
}
