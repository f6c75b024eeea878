//! Every keyword the macros understand, in one place (the way serde's
//! `symbol.rs` does), with the closed lists they are checked against.

// `#[connector(..)]` keys.
pub const NAME: &str = "name";
pub const VERSION: &str = "version";
pub const DISPLAY_NAME: &str = "display_name";
pub const DESCRIPTION: &str = "description";
pub const SYNC_MODES: &str = "sync_modes";
pub const SOURCE_TYPES: &str = "source_types";
pub const SEARCH_OPERATORS: &str = "search_operators";
pub const READ_ONLY: &str = "read_only";
pub const EXTRA_SCHEMA: &str = "extra_schema";
pub const ATTRIBUTES_SCHEMA: &str = "attributes_schema";
pub const CRATE: &str = "crate";

/// The keys of `#[connector(..)]`, for "did you mean".
pub const CONNECTOR_KEYS: &[&str] = &[
    NAME,
    VERSION,
    DISPLAY_NAME,
    DESCRIPTION,
    SYNC_MODES,
    SOURCE_TYPES,
    SEARCH_OPERATORS,
    READ_ONLY,
    EXTRA_SCHEMA,
    ATTRIBUTES_SCHEMA,
    CRATE,
];

// `#[action(..)]` keys (also NAME, DESCRIPTION, SOURCE_TYPES).
pub const MODE: &str = "mode";
pub const ADMIN_ONLY: &str = "admin_only";
pub const HIDDEN: &str = "hidden";
pub const REQUIRED_SCOPES: &str = "required_scopes";

/// The keys of `#[action(..)]`.
pub const ACTION_KEYS: &[&str] = &[
    NAME,
    DESCRIPTION,
    MODE,
    ADMIN_ONLY,
    HIDDEN,
    SOURCE_TYPES,
    REQUIRED_SCOPES,
];

/// The keys of `#[param(..)]`.
pub const PARAM_KEYS: &[&str] = &[NAME, DESCRIPTION];

// Helper attributes inside a `#[connector]` impl block.
pub const ACTION: &str = "action";
pub const PARAM: &str = "param";
pub const PARAMS: &str = "params";
pub const SYNC: &str = "sync";
pub const CANCEL: &str = "cancel";
pub const DOC: &str = "doc";

// `#[derive(Schema)]`.
pub const SERDE: &str = "serde";
pub const SCHEMA: &str = "schema";
pub const RENAME: &str = "rename";
pub const RENAME_ALL: &str = "rename_all";
pub const DEFAULT: &str = "default";
pub const SKIP: &str = "skip";
pub const SKIP_DESERIALIZING: &str = "skip_deserializing";
pub const FLATTEN: &str = "flatten";
pub const DESERIALIZE: &str = "deserialize";

/// PROTOCOL.md §2: the sync modes.
pub const SYNC_MODE_VALUES: &[&str] = &["full", "incremental", "realtime"];

/// ActionDefinition `mode`.
pub const ACTION_MODES: &[&str] = &["read", "write"];

/// SearchOperator `value_type` (PROTOCOL.md §4).
pub const VALUE_TYPES: &[&str] = &["text", "person", "datetime"];

/// PROTOCOL.md §4: the source types the manager knows; any other one makes
/// the whole registration fail with 422.
pub const SOURCE_TYPE_VALUES: &[&str] = &[
    "google_drive",
    "gmail",
    "google_chat",
    "confluence",
    "jira",
    "slack",
    "github",
    "local_files",
    "file_system",
    "web",
    "notion",
    "hubspot",
    "one_drive",
    "share_point",
    "outlook",
    "outlook_calendar",
    "ms_teams",
    "fireflies",
    "imap",
    "clickup",
    "linear",
    "paperless_ngx",
    "nextcloud",
    "google_ads",
    "darwinbox",
    "windshift",
];

/// serde's `rename_all` rules.
pub const RENAME_RULES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "PascalCase",
    "camelCase",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "SCREAMING-KEBAB-CASE",
];
