//! HTTP clients of the systems Dezky manages. The only seam is each upstream's base URL.

pub mod authentik;
