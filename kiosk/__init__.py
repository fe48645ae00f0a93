"""The kiosk: the edge daemon at one entrance lane (reader → verdict → screen, voice, gate)."""
