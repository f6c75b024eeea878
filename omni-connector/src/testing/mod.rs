//! The in-process manager.
