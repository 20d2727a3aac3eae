pub mod images {}
