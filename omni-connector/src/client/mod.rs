//! The manager client.
