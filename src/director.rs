//! The director: real-server health to desired IPVS table (owner: director helper).
