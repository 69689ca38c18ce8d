//! Packet views (being written).
