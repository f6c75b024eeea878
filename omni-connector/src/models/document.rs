//! Documents, their metadata and their permissions (PROTOCOL.md §5).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::time;

/// A document a connector emits: what Omni indexes.
///
/// `content_id` comes from [`ContentStorage::save`](crate::ContentStorage::save):
/// store the text first, then emit the document that points at it.
///
/// ```
/// use omni_connector::{Document, DocumentMetadata, DocumentPermissions};
///
/// let doc = Document::new("issue-42", "Login fails on Safari", "01J0CONTENTID")
///     .with_metadata(DocumentMetadata::new().author("ada@example.com").url("https://tracker/42"))
///     .with_permissions(DocumentPermissions::users(["ada@example.com"]));
/// assert_eq!(doc.external_id, "issue-42");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The document's id in the source system; sent as `document_id`.
    pub external_id: String,
    /// The document's title; used as the metadata title when that is unset.
    pub title: String,
    /// The id of the stored content, from the content storage.
    pub content_id: String,
    /// Descriptive metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<DocumentMetadata>,
    /// Who may see the document; private to nobody when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<DocumentPermissions>,
    /// Typed attributes for search operators and facets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
}

impl Document {
    /// A document with no metadata, no permissions and no attributes.
    pub fn new(
        external_id: impl Into<String>,
        title: impl Into<String>,
        content_id: impl Into<String>,
    ) -> Self {
        Self {
            external_id: external_id.into(),
            title: title.into(),
            content_id: content_id.into(),
            metadata: None,
            permissions: None,
            attributes: None,
        }
    }

    /// Sets the metadata.
    pub fn with_metadata(mut self, metadata: DocumentMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets the permissions.
    pub fn with_permissions(mut self, permissions: DocumentPermissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// Adds one attribute.
    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attributes
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }

    /// The document taken apart for its event, without copying anything:
    /// the document's title fills in a missing metadata title.
    pub(crate) fn into_wire(self) -> WireDocument {
        let mut metadata = self.metadata.unwrap_or_default();
        if metadata.title.is_none() {
            metadata.title = Some(self.title);
        }
        WireDocument {
            document_id: self.external_id,
            content_id: self.content_id,
            metadata,
            permissions: self.permissions,
            attributes: self.attributes,
        }
    }
}

/// The fields of a document event, from [`Document::into_wire`].
pub(crate) struct WireDocument {
    pub(crate) document_id: String,
    pub(crate) content_id: String,
    pub(crate) metadata: DocumentMetadata,
    pub(crate) permissions: Option<DocumentPermissions>,
    pub(crate) attributes: Option<Map<String, Value>>,
}

/// Descriptive metadata of a document. Every field is optional; unset fields
/// are left out of the JSON.
///
/// `size` is a string on the wire (PROTOCOL.md §5); [`DocumentMetadata::size`]
/// takes a number and writes it as one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DocumentMetadata {
    /// Title shown in search results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Author, usually an email or a display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// When the document was created in the source.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::optional"
    )]
    pub created_at: Option<DateTime<Utc>>,
    /// When the document was last changed in the source.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::optional"
    )]
    pub updated_at: Option<DateTime<Utc>>,
    /// Kind of content, e.g. `article` or `issue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// MIME type of the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Size in bytes, as a decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Link to the document in the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Path of the document in the source (folder, space, project...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Anything else, as a JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Map<String, Value>>,
}

impl DocumentMetadata {
    /// Empty metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the author.
    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// Sets the creation time.
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = Some(at);
        self
    }

    /// Sets the last-modified time.
    pub fn updated_at(mut self, at: DateTime<Utc>) -> Self {
        self.updated_at = Some(at);
        self
    }

    /// Sets the content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sets the MIME type.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// Sets the size in bytes (written as a string, as the wire wants).
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = Some(bytes.to_string());
        self
    }

    /// Sets the URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Adds one entry to `extra`.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }
}

/// Who may see a document. All three fields are always sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPermissions {
    /// Visible to everyone in the organisation.
    #[serde(default)]
    pub public: bool,
    /// Emails of users who may see it.
    #[serde(default)]
    pub users: Vec<String>,
    /// Emails of groups whose members may see it.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl DocumentPermissions {
    /// Visible to everyone.
    pub fn public() -> Self {
        Self {
            public: true,
            ..Self::default()
        }
    }

    /// Visible to nobody until users or groups are added.
    pub fn private() -> Self {
        Self::default()
    }

    /// Visible to these users.
    pub fn users<I, T>(users: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        Self {
            users: users.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Visible to members of these groups.
    pub fn groups<I, T>(groups: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        Self {
            groups: groups.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Adds users.
    pub fn with_users<I, T>(mut self, users: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.users.extend(users.into_iter().map(Into::into));
        self
    }

    /// Adds groups.
    pub fn with_groups<I, T>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.groups.extend(groups.into_iter().map(Into::into));
        self
    }
}
