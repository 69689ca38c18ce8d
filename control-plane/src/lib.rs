//! silkroute control plane (being written).
