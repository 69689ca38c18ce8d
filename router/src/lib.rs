//! silkroute data plane (being written).
