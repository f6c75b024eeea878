//! JSON Schemas of action parameters.
//!
//! `#[connector]` builds each action's `input_schema` from the types of its
//! parameters through the [`Schema`] trait. It is implemented here for the
//! standard types and derived for your own with
//! [`#[derive(Schema)]`](crate::Schema).
//!
//! Every schema is inlined: PROTOCOL.md §4 makes the manager refuse `$ref`,
//! `$defs` and `definitions`, so a type's schema never points elsewhere.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

/// A type that describes itself as a JSON Schema.
///
/// ```
/// use omni_connector::schema::Schema;
/// assert_eq!(<Vec<u32>>::schema()["items"]["type"], "integer");
/// assert!(<Option<String>>::optional());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no JSON Schema, so it cannot be an action parameter",
    label = "this type does not implement `Schema`",
    note = "derive it with `#[derive(Schema)]` (structs with named fields and unit-only enums), or implement `omni_connector::schema::Schema` by hand"
)]
pub trait Schema {
    /// The type's JSON Schema, with everything inlined.
    fn schema() -> Value;

    /// True when the parameter may be left out (`Option<T>`): it is then not
    /// listed in `required`.
    fn optional() -> bool {
        false
    }
}

/// A type whose schema is an object, so it can describe all of an action's
/// parameters at once (`#[params] p: MyParams`). `#[derive(Schema)]`
/// implements it for structs with named fields.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an action's `#[params]`: its JSON Schema is not an object",
    label = "a `#[params]` type must be a struct with named fields",
    note = "derive `Schema` on a struct with named fields, or take the parameters one by one"
)]
pub trait ParamsSchema: Schema {
    /// The input schema: the type's schema, an object.
    fn params_schema() -> Value {
        Self::schema()
    }
}

impl<T: Schema, S> ParamsSchema for HashMap<String, T, S> {}
impl<T: Schema> ParamsSchema for BTreeMap<String, T> {}
impl ParamsSchema for Map<String, Value> {}

impl<T: Schema + ?Sized> Schema for &T {
    fn schema() -> Value {
        T::schema()
    }
    fn optional() -> bool {
        T::optional()
    }
}

impl<T: Schema + ?Sized> Schema for Box<T> {
    fn schema() -> Value {
        T::schema()
    }
    fn optional() -> bool {
        T::optional()
    }
}

impl Schema for str {
    fn schema() -> Value {
        json!({"type": "string"})
    }
}

impl Schema for String {
    fn schema() -> Value {
        json!({"type": "string"})
    }
}

impl Schema for char {
    fn schema() -> Value {
        json!({"type": "string", "minLength": 1, "maxLength": 1})
    }
}

impl Schema for bool {
    fn schema() -> Value {
        json!({"type": "boolean"})
    }
}

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Schema for $t {
            fn schema() -> Value {
                json!({"type": "integer"})
            }
        }
    )*};
}
signed!(i8, i16, i32, i64, i128, isize);

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Schema for $t {
            fn schema() -> Value {
                json!({"type": "integer", "minimum": 0})
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, u128, usize);

impl Schema for f32 {
    fn schema() -> Value {
        json!({"type": "number"})
    }
}

impl Schema for f64 {
    fn schema() -> Value {
        json!({"type": "number"})
    }
}

impl<T: Schema> Schema for Option<T> {
    fn schema() -> Value {
        T::schema()
    }
    fn optional() -> bool {
        true
    }
}

fn array_of<T: Schema + ?Sized>(unique: bool) -> Value {
    let mut schema = Map::new();
    schema.insert("type".into(), "array".into());
    schema.insert("items".into(), T::schema());
    if unique {
        schema.insert("uniqueItems".into(), true.into());
    }
    Value::Object(schema)
}

impl<T: Schema> Schema for [T] {
    fn schema() -> Value {
        array_of::<T>(false)
    }
}

impl<T: Schema> Schema for Vec<T> {
    fn schema() -> Value {
        array_of::<T>(false)
    }
}

impl<T: Schema> Schema for VecDeque<T> {
    fn schema() -> Value {
        array_of::<T>(false)
    }
}

impl<T: Schema, S> Schema for HashSet<T, S> {
    fn schema() -> Value {
        array_of::<T>(true)
    }
}

impl<T: Schema> Schema for BTreeSet<T> {
    fn schema() -> Value {
        array_of::<T>(true)
    }
}

fn map_of<T: Schema>() -> Value {
    json!({"type": "object", "additionalProperties": T::schema()})
}

impl<T: Schema, S> Schema for HashMap<String, T, S> {
    fn schema() -> Value {
        map_of::<T>()
    }
}

impl<T: Schema> Schema for BTreeMap<String, T> {
    fn schema() -> Value {
        map_of::<T>()
    }
}

/// Any JSON value: the empty schema.
impl Schema for Value {
    fn schema() -> Value {
        json!({})
    }
}

impl Schema for Map<String, Value> {
    fn schema() -> Value {
        json!({"type": "object"})
    }
}

impl Schema for DateTime<Utc> {
    fn schema() -> Value {
        json!({"type": "string", "format": "date-time"})
    }
}

impl Schema for NaiveDate {
    fn schema() -> Value {
        json!({"type": "string", "format": "date"})
    }
}

/// Support for `#[derive(Schema)]`: recursion guard and object building.
#[doc(hidden)]
pub mod derive_support {
    use std::cell::Cell;

    use serde_json::{Map, Value};

    /// Deeper than this, a derived schema stops expanding (a recursive type
    /// would otherwise never end, and `$ref` is not allowed) and describes
    /// the value as any object.
    const MAX_DEPTH: u32 = 16;

    thread_local! {
        static DEPTH: Cell<u32> = const { Cell::new(0) };
    }

    /// Counts one level of derived schema while alive.
    pub struct DepthGuard(());

    impl DepthGuard {
        /// Enters one level, or `None` when too deep.
        pub fn enter() -> Option<Self> {
            DEPTH.with(|d| {
                if d.get() >= MAX_DEPTH {
                    None
                } else {
                    d.set(d.get() + 1);
                    Some(DepthGuard(()))
                }
            })
        }
    }

    impl Drop for DepthGuard {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        }
    }

    /// The schema a too-deep recursive type gets.
    pub fn too_deep() -> Value {
        serde_json::json!({"type": "object"})
    }

    /// Adds a description to a schema object (kept when it already has one).
    pub fn describe(mut schema: Value, description: &str) -> Value {
        if let Value::Object(map) = &mut schema {
            map.entry("description")
                .or_insert_with(|| Value::String(description.to_owned()));
        }
        schema
    }

    /// An object schema from its properties and required names.
    pub fn object(
        properties: Map<String, Value>,
        required: Vec<Value>,
        description: Option<&str>,
    ) -> Value {
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        if let Some(description) = description {
            schema.insert("description".into(), description.into());
        }
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        Value::Object(schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_types() {
        assert_eq!(<&str>::schema(), json!({"type": "string"}));
        assert_eq!(u32::schema(), json!({"type": "integer", "minimum": 0}));
        assert_eq!(i64::schema(), json!({"type": "integer"}));
        assert_eq!(f32::schema(), json!({"type": "number"}));
        assert_eq!(
            <HashMap<String, bool>>::schema(),
            json!({"type": "object", "additionalProperties": {"type": "boolean"}})
        );
        assert_eq!(
            <DateTime<Utc>>::schema(),
            json!({"type": "string", "format": "date-time"})
        );
        assert!(!String::optional());
        assert!(<Option<Vec<String>>>::optional());
    }
}
