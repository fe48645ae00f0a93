"""QR codes held up to the kiosk's camera: yzt elder cards run the tap pipeline with identity
source ``qr``; health certificates are decided on the spot (readers/qr verifies both)."""
