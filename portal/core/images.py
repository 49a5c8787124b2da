"""Uploaded images (logos, product pictures): checked by content, never by name, and served
with caching (SECURITY.md 26)."""

import hashlib
import io
from dataclasses import dataclass

from flask import Response, request
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from portal.core.errors import ServiceError

#: What Pillow finds in the bytes -> the content type it is served with. No SVG: it can script.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass(frozen=True, slots=True)
class CheckedImage:
    data: bytes
    content_type: str
    #: SHA-256 of the bytes: the ETag and cache-busting version.
    digest: str


def check_image(data: bytes, *, max_bytes: int, max_pixels: int, field: str) -> CheckedImage:
    """The image if these bytes are a small PNG, JPEG, GIF or WebP; else a ServiceError on
    `field`."""
    if len(data) > max_bytes:
        raise ServiceError(_("The image must be at most %(kb)d KB.", kb=max_bytes // 1024), field)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        image_format = None
    if image_format not in FORMATS:
        raise ServiceError(_("The image must be a PNG, JPEG, GIF or WebP image."), field)
    if width > max_pixels or height > max_pixels:
        raise ServiceError(
            _("The image must be at most %(px)d pixels wide and high.", px=max_pixels), field
        )
    return CheckedImage(data, FORMATS[image_format], hashlib.sha256(data).hexdigest())


def image_response(data: bytes, content_type: str, digest: str) -> Response:
    """The image with an ETag, cacheable for an hour, 304 when the browser has it."""
    response = Response(data, mimetype=content_type)
    response.set_etag(digest)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)
