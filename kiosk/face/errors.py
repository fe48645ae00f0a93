"""The face package's exceptions, each carrying one plain line meant for a person to read.

``FaceSetupError``: models, engine or photo decoder unusable at start (config or install problem).
``FaceInputError``: an image given on the command line cannot be read.
``PhotoUnavailable``: this card's photo cannot be turned into an image (the check is ``unknown``).
"""


class FaceSetupError(Exception):
    """The face check cannot be set up as configured; the message names the key or file."""


class FaceInputError(Exception):
    """An input image is missing or not an image."""


class PhotoUnavailable(Exception):
    """The card photo of this tap cannot be decoded; the message says why, never whose card."""
