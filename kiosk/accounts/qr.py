"""QR codes of otpauth:// links, so a phone's authenticator app can scan them."""
import io

import qrcode
import qrcode.image.svg


def svg(text):
    """An inline SVG QR code (no image library needed)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode().split("?>", 1)[-1].strip()


def terminal(text):
    """The QR code drawn with block characters, for the server's terminal."""
    code = qrcode.QRCode(border=2)
    code.add_data(text)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()
