"""MSTAR target chips in their raw Phoenix format (AFRL/SDMS public MSTAR release).

A file is an ASCII "Phoenix" header, ``[PhoenixHeaderVer01.04]`` ... ``[EndofPhoenixHeader]``, of
``key= value`` lines, then an optional native header of ``native_header_length`` bytes, then the
image: ``NumberOfRows x NumberOfColumns`` big-endian float32 magnitudes followed, in the complex
chips, by as many big-endian float32 phases (radians). File names carry numeric extensions
(``HB03787.004``, ``.015``, ``.017``), so the reader is chosen by the header, not the extension.
"""
import numpy as np

PHOENIX_MAGIC = b'[PhoenixHeaderVer'
_END = b'[EndofPhoenixHeader]'
# Fields typed on parsing; everything else stays a string.
_INT_FIELDS = ('PhoenixHeaderLength', 'native_header_length', 'NumberOfColumns', 'NumberOfRows')
_FLOAT_FIELDS = ('DesiredDepression', 'TargetAz', 'TargetRoll', 'TargetPitch', 'TargetYaw',
                 'MeasuredDepression', 'MeasuredAzimuth', 'ColumnSpacing', 'RowSpacing')


def is_mstar_raw(head):
    """Whether the first bytes of a file are a Phoenix header."""
    return head.startswith(PHOENIX_MAGIC)


def parse_phoenix_header(raw, path):
    """Parse the ASCII header at the start of ``raw`` (the file's bytes); returns a dict."""
    from .readers import SARFileError
    end = raw.find(_END)
    if not raw.startswith(PHOENIX_MAGIC) or end < 0:
        raise SARFileError(
            path, 'not an MSTAR Phoenix file or truncated header '
            '(no [EndofPhoenixHeader])')
    header = {}
    for line in raw[:end].decode('latin-1').splitlines()[1:]:
        if '=' not in line:
            continue
        key, value = (s.strip() for s in line.split('=', 1))
        try:
            if key in _INT_FIELDS:
                value = int(value)
            elif key in _FLOAT_FIELDS:
                value = float(value)
        except ValueError as err:
            raise SARFileError(path, f'MSTAR header field {key}={value!r} is not a number') from err
        header[key] = value
    for key in ('PhoenixHeaderLength', 'NumberOfColumns', 'NumberOfRows'):
        if key not in header:
            raise SARFileError(path, f'MSTAR header lacks {key}')
    return header


def read_mstar_raw(path, data=None):
    """Read an MSTAR chip: complex64 (H, W, 1) when phase is stored, else float32 magnitude.

    Args:
        path (str): The file (named in errors; read when ``data`` is None).
        data (bytes, optional): The file's bytes, when the caller has read them already.

    Returns:
        tuple[np.ndarray, dict]: the image and the parsed Phoenix header.

    Raises:
        SARFileError: truncated header, missing fields, or a data size that does not match
            ``NumberOfRows x NumberOfColumns`` (magnitude only, or magnitude + phase).
    """
    from .readers import SARFileError
    if data is None:
        with open(path, 'rb') as f:
            data = f.read()
    header = parse_phoenix_header(data, path)
    rows, cols = header['NumberOfRows'], header['NumberOfColumns']
    if rows <= 0 or cols <= 0:
        raise SARFileError(path, f'zero-size image in MSTAR header ({rows} x {cols})')
    offset = header['PhoenixHeaderLength'] + header.get('native_header_length', 0)
    payload = len(data) - offset
    plane = rows * cols * 4
    if payload == 2 * plane:
        values = np.frombuffer(data, dtype='>f4', count=2 * rows * cols, offset=offset)
        magnitude = values[:rows * cols].reshape(rows, cols)
        phase = values[rows * cols:].reshape(rows, cols)
        image = (magnitude * np.exp(1j * phase)).astype(np.complex64)
    elif payload == plane:
        image = np.frombuffer(
            data, dtype='>f4', count=rows * cols, offset=offset).reshape(rows,
                                                                         cols).astype(np.float32)
    else:
        raise SARFileError(
            path, f'MSTAR header says {rows} x {cols} pixels after a {offset}-byte header, i.e. '
            f'{plane} bytes (magnitude) or {2 * plane} (magnitude + phase), but the file holds '
            f'{payload} bytes of data (truncated or not matching its header)')
    return image, header


def write_mstar_raw(path, magnitude, phase=None, **fields):
    """Write a chip in MSTAR's raw format (for tests and converters).

    Args:
        path (str): Output file.
        magnitude (np.ndarray): (H, W) magnitudes.
        phase (np.ndarray, optional): (H, W) phases in radians; omitted -> magnitude only.
        **fields: Extra header fields (``TargetType``, ``DesiredDepression``, ``TargetAz``...).
    """
    rows, cols = magnitude.shape
    lines = [
        '[PhoenixHeaderVer01.04]', 'PhoenixHeaderLength= {length:010d}',
        'native_header_length= 0000000000', f'NumberOfColumns= {cols}', f'NumberOfRows= {rows}'
    ] + [f'{k}= {v}' for k, v in fields.items()]
    text = '\n'.join(lines) + '\n[EndofPhoenixHeader]\n'
    length = len(text.format(length=0).encode())
    header = text.format(length=length).encode()
    body = magnitude.astype('>f4').tobytes()
    if phase is not None:
        body += phase.astype('>f4').tobytes()
    with open(path, 'wb') as f:
        f.write(header + body)
