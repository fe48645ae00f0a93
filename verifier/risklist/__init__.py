"""The signed risk list: tables, publishing, wire format, keys, the kiosk endpoint."""
