"""Printed elder QR cards: the signed token, its key pair, issuing, revoking, the printable card.

A card carries who the holder is (their subject, never the ID number or any health status); the
kiosk looks the subject up like a card tap. The kiosk's verifier of the token is
readers/qr/yztcard.py. Revoked serials travel to kiosks in the signed risk list.
"""
