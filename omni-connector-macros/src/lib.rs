//! Procedural macros for `omni-connector`. Depend on `omni-connector`, which
//! re-exports them; this crate is not meant to be used on its own.
//!
//! The code is split the way `thiserror` and `serde_derive` are: `attr`
//! parses the attributes, `ast` builds the connector from the impl block,
//! `valid` checks it (every compile error `#[connector]` gives is there),
//! `expand` generates the code; `schema_derive` is `#[derive(Schema)]`.
//!
//! Set `OMNI_CONNECTOR_MACROS_DEBUG=1` while building to print every
//! expansion to stderr (or set it to a type name to print only that one).

mod ast;
mod attr;
mod ctxt;
mod expand;
mod schema_derive;
mod symbol;
mod util;
mod valid;

use proc_macro::TokenStream;
use quote::{quote, ToTokens};
use syn::{parse_macro_input, DeriveInput, ItemImpl};

use crate::attr::ConnectorAttrs;
use crate::ctxt::Ctxt;

/// Turns an impl block into an Omni connector: implements
/// `omni_connector::Connector` for the type, with the manifest described by
/// the attribute, the sync method, and every `#[action]` method.
///
/// ```no_run
/// use omni_connector::prelude::*;
///
/// #[derive(Deserialize)]
/// struct RssConfig { feed_url: String }
///
/// #[derive(Serialize, Deserialize)]
/// struct RssState { last_sync_time: DateTime<Utc> }
///
/// #[derive(Serialize)]
/// struct FeedInfo { title: String, items: usize }
///
/// #[derive(Deserialize, Schema)]
/// struct SearchParams {
///     /// Words to look for.
///     query: String,
///     /// At most this many items.
///     #[serde(default)]
///     limit: u32,
/// }
///
/// struct Rss;
///
/// /// Indexes RSS and Atom feeds.
/// #[connector(
///     name = "rss",
///     version = "1.0.0",
///     display_name = "RSS and Atom feeds",
///     sync_modes(full, incremental),
///     source_types(web),
///     search_operators(("feed", "feed_title"), ("by", "author", person)),
/// )]
/// impl Rss {
///     async fn sync(&self, config: RssConfig, _credentials: NoCredentials,
///                   state: Option<RssState>, ctx: &SyncContext<RssState>) -> Result<()> {
///         let _ = (config.feed_url, state);
///         ctx.complete(RssState { last_sync_time: Utc::now() }).await
///     }
///
///     /// Validate that a feed URL is accessible and parses.
///     #[action(mode = "read")]
///     async fn validate_feed(
///         &self,
///         #[param(description = "The RSS/Atom feed URL to validate")] url: String,
///         timeout_secs: Option<u32>,
///     ) -> Result<FeedInfo, ActionError> {
///         let _ = timeout_secs;
///         if url.is_empty() {
///             return Err(ActionError::new("empty URL"));
///         }
///         Ok(FeedInfo { title: url, items: 0 })
///     }
///
///     /// Search the feed's items.
///     #[action(mode = "read", name = "search")]
///     async fn search_items(&self, #[params] p: SearchParams, ctx: &ActionContext) -> Vec<String> {
///         let _ = (p.limit, &ctx.actor_email);
///         vec![p.query]
///     }
///
///     fn cancel(&self, sync_run_id: &str) {
///         println!("cancelled {sync_run_id}");
///     }
/// }
///
/// let manifest = Rss.manifest();
/// assert_eq!(manifest.actions.len(), 2);
/// assert_eq!(Rss::ACTIONS, &["validate_feed", "search"]);
/// ```
///
/// # The attribute
///
/// | key | value | default |
/// |-----|-------|---------|
/// | `name` | lowercase kebab-case string; required | |
/// | `version` | semantic version string; required | |
/// | `display_name` | string | the name |
/// | `description` | string | the impl block's doc comment |
/// | `sync_modes(..)` | `full`, `incremental`, `realtime` | `full` |
/// | `source_types(..)` | PROTOCOL.md §4's source types (`web`, `github`...) | none |
/// | `search_operators(..)` | `("operator", "attribute_key")` or `("operator", "attribute_key", person)` (`text`, `person`, `datetime`) | none |
/// | `read_only` | flag, or `read_only = true` | false |
/// | `extra_schema` / `attributes_schema` | path to a `fn() -> serde_json::Value` | none |
/// | `crate` | path of the `omni_connector` crate, e.g. `crate = "my_sdk"` | `::omni_connector` |
///
/// # Inside the impl block
///
/// - **The sync method**: named `sync` or marked `#[sync]`, exactly one:
///   `async fn sync(&self, config: C, credentials: K, state: Option<S>, ctx: &SyncContext<S>) -> Result<()>`.
///   `C`, `K` and `S` become the connector's `Config`, `Credentials` and
///   `State` (use `NoConfig` / `NoCredentials` when there are none).
/// - **`fn cancel(&self, sync_run_id: &str)`**, optional.
/// - **Actions**: `async fn` methods taking `&self`, marked `#[action]` or
///   `#[action(key = value, ..)]` with keys `name` (default: the method's
///   name), `description` (default: the doc comment; one of the two is
///   required), `mode = "read"|"write"` (default write), `admin_only`,
///   `hidden`, `source_types(..)`, `required_scopes("..", ..)`.
///   - Each parameter is a property of the action's input schema, named
///     after the parameter (`#[param(name = "..")]` renames it,
///     `#[param(description = "..")]` describes it). Its type must
///     implement `Schema`; `Option<T>` parameters are optional.
///   - Or one `#[params] p: MyParams` parameter, a `#[derive(Schema)]`
///     struct that is the whole input schema.
///   - An argument of type `&ActionContext` (or `ActionContext`), anywhere,
///     receives the call's credentials, source and actor; it is not a
///     parameter.
///   - The return value: `Result<T, E>` answers success with `T` as JSON or
///     an error with `E`'s `Display`; `ActionResponse` is sent as is; any
///     other `T: Serialize` (or none) is a success.
///
/// Parameters are decoded with serde; a missing required parameter answers
/// `missing parameter `url``, a value of the wrong type
/// `invalid parameter `timeout_secs`: invalid type: string "x", expected u32`.
/// An unknown action answers `Action not supported: <name>`.
///
/// Besides the trait impl the macro adds `Type::ACTIONS` (the action names)
/// and an inherent `fn manifest(&self) -> ConnectorManifest`.
#[proc_macro_attribute]
pub fn connector(args: TokenStream, input: TokenStream) -> TokenStream {
    let output = expand_connector(args.into(), input.into());
    debug_print("connector", &output);
    output.into()
}

fn expand_connector(
    args: proc_macro2::TokenStream,
    input: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let cx = Ctxt::new();
    let mut attrs = ConnectorAttrs::new();
    let parser = syn::meta::parser(|meta| attrs.parse_entry(&cx, meta));
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(e);
    }
    let mut item: ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            cx.error_at(
                proc_macro2::Span::call_site(),
                "`#[connector]` goes on an impl block: `#[connector(name = \"..\", version = \"..\")] impl MyConnector { .. }`",
            );
            return with_errors(cx, input);
        }
    };
    if let Some((_, path, _)) = &item.trait_ {
        cx.error_spanned_by(
            path,
            "`#[connector]` goes on an inherent impl block (`impl MyConnector { .. }`), not on a trait impl; it implements `Connector` itself",
        );
        return with_errors(cx, input);
    }
    let connector = ast::from_impl(&cx, attrs, &mut item);
    valid::check(&cx, &connector);
    match cx.check() {
        Ok(()) => expand::connector(&connector, &item),
        Err(e) => {
            // The user's impl (helper attributes removed) still compiles,
            // so the only errors are ours.
            let errors = e.to_compile_error();
            quote!(#item #errors)
        }
    }
}

fn with_errors(cx: Ctxt, input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let errors = cx.check().err().map(|e| e.to_compile_error());
    quote!(#input #errors)
}

/// Derives `omni_connector::schema::Schema`: a JSON Schema, fully inlined,
/// for a struct with named fields (an object: doc comments become
/// `description`s; a field is required unless it is an `Option` or has
/// `#[serde(default)]`), a newtype struct (the inner type's schema) or a
/// unit-only enum (a string `enum`). `#[serde(rename = "..")]`,
/// `#[serde(rename_all = "..")]`, `#[serde(default)]` and
/// `#[serde(skip)]` are followed. `#[schema(crate = "..")]` overrides the
/// runtime path.
///
/// ```
/// use omni_connector::prelude::*;
///
/// /// How urgent an issue is.
/// #[derive(Deserialize, Schema)]
/// #[serde(rename_all = "snake_case")]
/// enum Priority { Low, VeryHigh }
///
/// /// A new issue.
/// #[derive(Deserialize, Schema)]
/// struct NewIssue {
///     /// The issue's title.
///     title: String,
///     #[serde(rename = "labels")]
///     tags: Vec<String>,
///     priority: Option<Priority>,
/// }
///
/// let schema = NewIssue::schema();
/// assert_eq!(schema["type"], "object");
/// assert_eq!(schema["description"], "A new issue.");
/// assert_eq!(schema["properties"]["title"]["description"], "The issue's title.");
/// assert_eq!(schema["properties"]["labels"]["items"]["type"], "string");
/// assert_eq!(schema["properties"]["priority"]["enum"][1], "very_high");
/// assert_eq!(schema["required"], serde_json::json!(["title", "labels"]));
/// ```
#[proc_macro_derive(Schema, attributes(schema))]
pub fn derive_schema(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let output = schema_derive::derive(input);
    debug_print("derive(Schema)", &output);
    output.into()
}

/// Marks an action inside a `#[connector]` impl block (see
/// [`macro@connector`]); anywhere else it is an error.
#[proc_macro_attribute]
pub fn action(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced(
        "action",
        "a method inside a `#[connector]` impl block",
        input,
    )
}

/// Marks the sync method inside a `#[connector]` impl block (see
/// [`macro@connector`]); anywhere else it is an error.
#[proc_macro_attribute]
pub fn sync(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("sync", "a method inside a `#[connector]` impl block", input)
}

/// Describes an action's parameter inside a `#[connector]` impl block (see
/// [`macro@connector`]); anywhere else it is an error.
#[proc_macro_attribute]
pub fn param(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced(
        "param",
        "a parameter of an `#[action]` method inside a `#[connector]` impl block",
        input,
    )
}

/// Marks an action's parameters struct inside a `#[connector]` impl block
/// (see [`macro@connector`]); anywhere else it is an error.
#[proc_macro_attribute]
pub fn params(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced(
        "params",
        "a parameter of an `#[action]` method inside a `#[connector]` impl block",
        input,
    )
}

/// The item unchanged, plus an error on the attribute (`#[connector]`
/// removes these helpers before they are expanded, so reaching here means
/// the attribute is out of place).
fn misplaced(name: &str, place: &str, input: TokenStream) -> TokenStream {
    let message = format!("`#[{name}]` can only be used on {place}");
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error();
    let input = proc_macro2::TokenStream::from(input);
    quote!(#error #input).into()
}

/// `OMNI_CONNECTOR_MACROS_DEBUG=1` prints every expansion;
/// `OMNI_CONNECTOR_MACROS_DEBUG=Rss` only those mentioning `Rss`.
fn debug_print(what: &str, output: &proc_macro2::TokenStream) {
    let Ok(filter) = std::env::var("OMNI_CONNECTOR_MACROS_DEBUG") else {
        return;
    };
    let text = output.to_token_stream().to_string();
    if filter.is_empty() || filter == "1" || text.contains(&filter) {
        eprintln!("// ---- omni-connector-macros: {what} ----\n{text}\n");
    }
}
