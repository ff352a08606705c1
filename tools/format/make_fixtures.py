"""Golden fixtures for @gradcam/format, computed with the reference Python stack.

    /tmp/venv/bin/python tools/format/make_fixtures.py

Needs Pillow 12.x, matplotlib 3.x and numpy (no TensorFlow/Keras/ELI5): the few lines of
ELI5's eli5/formatters/image.py and Keras' load_img that matter are reimplemented below with
the same Pillow/matplotlib calls. Output goes to packages/format/src/__fixtures__/ and is
deterministic (fixed seeds), so re-running it only changes files when a library changes.

Images are stored as base64 of raw row-major bytes (RGBA or L) inside JSON, float heatmaps as
float32 values written with Python's repr (exact in JavaScript), and the photo-sized Keras
outputs as PNG files.
"""

import base64
import hashlib
import io
import json
import pathlib
import struct
import zlib

import matplotlib
import numpy as np
import PIL
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / 'packages' / 'format' / 'src' / '__fixtures__'
IMAGES = ROOT / 'examples' / 'images'

R = Image.Resampling
FILTERS = {
    'nearest': R.NEAREST,
    'box': R.BOX,
    'bilinear': R.BILINEAR,
    'hamming': R.HAMMING,
    'bicubic': R.BICUBIC,
    'lanczos': R.LANCZOS,
}


def b64(arr):
    return base64.b64encode(np.ascontiguousarray(arr, dtype=np.uint8).tobytes()).decode('ascii')


def enc_image(im):
    """{width, height, mode, data} with raw bytes of an 'L' or 'RGBA' Pillow image."""
    assert im.mode in ('L', 'RGBA'), im.mode
    return {'width': im.width, 'height': im.height, 'mode': im.mode, 'data': b64(np.asarray(im))}


def floats(arr):
    return [float(v) for v in np.asarray(arr).ravel()]


def write_json(name, obj):
    path = OUT / name
    path.write_text(json.dumps(obj, separators=(',', ':')) + '\n')
    return path


# ---------------------------------------------------------------------------------------------
# Inputs


def random_rgba(rng, w, h):
    arr = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)
    # Make sure the premultiplication's special cases (alpha 0 and 255) are exercised.
    alpha = arr[..., 3]
    alpha[rng.random((h, w)) < 0.15] = 0
    alpha[rng.random((h, w)) < 0.15] = 255
    return Image.fromarray(arr, 'RGBA')


def random_gray(rng, w, h):
    return Image.fromarray(rng.integers(0, 256, size=(h, w), dtype=np.uint8), 'L')


def smooth_rgba(w, h):
    """A soft gradient image: realistic for heatmap overlays, hard for sign errors."""
    y, x = np.mgrid[0:h, 0:w]
    r = (255 * x / max(w - 1, 1)).astype(np.uint8)
    g = (255 * y / max(h - 1, 1)).astype(np.uint8)
    b = ((x * 7 + y * 13) % 256).astype(np.uint8)
    a = np.full((h, w), 255, np.uint8)
    return Image.fromarray(np.stack([r, g, b, a], -1), 'RGBA')


# ---------------------------------------------------------------------------------------------
# 1. Resampling: every filter × up/down/one-axis/mixed × RGBA/L × odd sizes, plus box and the
#    tall-image path Pillow takes when height > 100 × width.


def make_resize():
    rng = np.random.default_rng(20240601)
    inputs = {
        'rgba7x7': random_rgba(rng, 7, 7),
        'rgba50x31': random_rgba(rng, 50, 31),
        'gray7x7': random_gray(rng, 7, 7),
        'gray50x31': random_gray(rng, 50, 31),
        'rgba2x250': random_rgba(rng, 2, 250),
        'gray3x400': random_gray(rng, 3, 400),
    }
    plans = [
        ('7x7', (37, 23), None),  # up
        ('7x7', (3, 5), None),  # down
        ('7x7', (7, 7), None),  # same size: a copy
        ('50x31', (13, 9), None),  # down
        ('50x31', (61, 40), None),  # up
        ('50x31', (50, 17), None),  # vertical only
        ('50x31', (21, 31), None),  # horizontal only
        ('50x31', (13, 62), None),  # down × up
        ('50x31', (17, 11), (3.5, 2.25, 41.75, 30.0)),  # fractional box
        ('50x31', (20, 10), (5, 3, 25, 13)),  # integer box of the output size: a crop
    ]
    cases = []
    for filt_name, filt in FILTERS.items():
        for mode in ('rgba', 'gray'):
            for src_key, size, box in plans:
                im = inputs[f'{mode}{src_key}']
                out = im.resize(size, filt, box=box)
                cases.append({'input': f'{mode}{src_key}', 'filter': filt_name, 'size': list(size), 'box': box,
                              'expected': enc_image(out)})
            tall = inputs['rgba2x250' if mode == 'rgba' else 'gray3x400']
            for size in [(3, 20), (2, 7)]:
                out = tall.resize(size, filt)
                cases.append({'input': 'rgba2x250' if mode == 'rgba' else 'gray3x400', 'filter': filt_name,
                              'size': list(size), 'box': None, 'expected': enc_image(out)})
    return write_json('resize.json', {'inputs': {k: enc_image(v) for k, v in inputs.items()}, 'cases': cases})


# ---------------------------------------------------------------------------------------------
# 2. Colormaps: the 256-entry tables and float lookups at the edges of matplotlib's rule.

COLORMAPS = ['viridis', 'plasma', 'inferno', 'magma', 'cividis', 'turbo',
             'jet', 'gray', 'binary', 'hot', 'coolwarm', 'RdBu_r']


def make_colormaps():
    probes64 = np.array([0.0, 1.0, 0.5, 1 / 256, 1 / 256 - 1e-12, 255 / 256, 255 / 256 - 1e-12, 0.999999999,
                         1e-300, -1e-9, -0.5, 1 + 1e-9, 2.0, 0.1, 0.3, 0.7, 0.9, 0.65, 0.123456789], dtype=np.float64)
    probes32 = np.linspace(0, 1, 37, dtype=np.float32)
    out = {'matplotlib': matplotlib.__version__, 'probes64': floats(probes64), 'probes32': floats(probes32),
           'colormaps': {}}
    for name in COLORMAPS:
        cmap = matplotlib.colormaps[name]
        out['colormaps'][name] = {
            'table': floats(cmap(np.arange(256))[:, :3]),
            'probes64': floats(cmap(probes64)),
            'probes32': floats(cmap(probes32)),
            'nan': floats(cmap(np.array([np.nan]))),
        }
    return write_json('colormaps.json', out)


# ---------------------------------------------------------------------------------------------
# 3. Alpha compositing and the premultiplied-alpha conversions.


def make_composite():
    rng = np.random.default_rng(7)
    dst = random_rgba(rng, 16, 16)
    src = random_rgba(rng, 16, 16)
    premul = Image.frombytes('RGBA', dst.size, dst.convert('RGBa').tobytes())
    unpremul = Image.frombytes('RGBa', src.size, src.tobytes()).convert('RGBA')
    return write_json('composite.json', {
        'dst': enc_image(dst), 'src': enc_image(src),
        'composite': enc_image(Image.alpha_composite(dst, src)),
        'premultiplied': enc_image(premul),
        'unpremultiplied': enc_image(unpremul),
    })


# ---------------------------------------------------------------------------------------------
# 4. ELI5 format_as_image, reimplemented line by line from eli5/formatters/image.py.


def eli5_validate_heatmap(heatmap):
    mi, ma = np.min(heatmap), np.max(heatmap)
    if not (0 <= mi and ma <= 1):
        raise ValueError('heatmap must contain float values between 0 and 1 inclusive')


def eli5_heatmap_to_image(heatmap):
    eli5_validate_heatmap(heatmap)
    heatmap = (heatmap * 255).astype('uint8')
    # ELI5 passes mode='L'/'RGBA', which Pillow 12 deprecates; it is what fromarray infers anyway.
    return Image.fromarray(heatmap)


def eli5_cap_alpha(alpha_arr, alpha_limit):
    if alpha_limit is None:
        return alpha_arr
    return np.minimum(alpha_arr, alpha_limit)


def eli5_format_as_image(image, heatmap, resampling_filter, colormap, alpha_limit):
    if image.mode != 'RGBA':
        image = image.convert('RGBA')
    eli5_validate_heatmap(heatmap)
    heatvals = heatmap
    heatmap = colormap(heatmap)  # _colorize
    heatmap[:, :, 3] = eli5_cap_alpha(heatvals, alpha_limit)  # _update_alpha
    small = eli5_heatmap_to_image(heatmap)  # expand_heatmap
    expanded = small.resize((image.width, image.height), resample=resampling_filter)
    return Image.alpha_composite(image, expanded), small  # _overlay_heatmap


def heatmaps():
    rng = np.random.default_rng(11)
    peak = np.zeros((7, 7), np.float32)
    peak[2, 4] = 1.0
    yy, xx = np.mgrid[0:14, 0:14]
    blob = np.exp(-((xx - 9.3) ** 2 + (yy - 4.1) ** 2) / 18.0)
    return {
        'random7x7': rng.random((7, 7)).astype(np.float32),
        'zeros5x5': np.zeros((5, 5), np.float32),
        'ones4x4': np.ones((4, 4), np.float32),
        'peak7x7': peak,
        'random6x10': rng.random((6, 10)).astype(np.float32),  # non-square: 10 wide, 6 high
        'blob14x14': (blob / blob.max()).astype(np.float32),
        # Values just around k/255, where float32 vs float64 arithmetic changes the truncation.
        'edges3x8': np.array([[k / 255 for k in range(8)],
                              [np.nextafter(np.float32(k / 255), np.float32(0)) for k in range(100, 108)],
                              [np.nextafter(np.float32(k / 255), np.float32(1)) for k in range(200, 208)]],
                             dtype=np.float32),
    }


def make_format():
    hms = heatmaps()
    rng = np.random.default_rng(5)
    chelsea = Image.open(IMAGES / 'chelsea.png').convert('RGB')
    images = {
        'cat37x23': chelsea.resize((37, 23), R.BILINEAR).convert('RGBA'),
        'cat64x64': chelsea.resize((64, 64), R.BILINEAR).convert('RGBA'),
        'gradient23x41': smooth_rgba(23, 41),
        'translucent29x17': random_rgba(rng, 29, 17),  # a background with its own alpha
    }
    combos = [
        # heatmap, image, colormap, alpha_limit, filter
        ('random7x7', 'cat37x23', 'viridis', 0.65, 'lanczos'),
        ('random7x7', 'cat64x64', 'jet', 1.0, 'bicubic'),
        ('random7x7', 'gradient23x41', 'gray', None, 'nearest'),
        ('random7x7', 'translucent29x17', 'viridis', 0.65, 'lanczos'),
        ('zeros5x5', 'cat37x23', 'viridis', 0.65, 'lanczos'),
        ('zeros5x5', 'cat64x64', 'hot', None, 'box'),
        ('ones4x4', 'cat37x23', 'viridis', 0.65, 'lanczos'),
        ('ones4x4', 'gradient23x41', 'coolwarm', 1.0, 'hamming'),
        ('ones4x4', 'translucent29x17', 'binary', None, 'bilinear'),
        ('peak7x7', 'cat64x64', 'viridis', 0.65, 'lanczos'),
        ('peak7x7', 'cat37x23', 'turbo', 1.0, 'bilinear'),
        ('peak7x7', 'gradient23x41', 'RdBu_r', None, 'bicubic'),
        ('random6x10', 'cat64x64', 'viridis', 0.65, 'lanczos'),
        ('random6x10', 'cat37x23', 'plasma', None, 'hamming'),
        ('random6x10', 'gradient23x41', 'inferno', 1.0, 'box'),
        ('random6x10', 'translucent29x17', 'magma', 0.65, 'nearest'),
        ('blob14x14', 'cat64x64', 'viridis', 0.65, 'lanczos'),
        ('blob14x14', 'cat37x23', 'cividis', 0.3, 'bicubic'),
        ('blob14x14', 'gradient23x41', 'jet', None, 'lanczos'),
        ('edges3x8', 'cat37x23', 'gray', None, 'nearest'),
        ('edges3x8', 'cat64x64', 'viridis', 0.65, 'lanczos'),
    ]
    cases = []
    for hm, img, cmap_name, alpha, filt in combos:
        overlay, small = eli5_format_as_image(images[img], hms[hm].copy(), FILTERS[filt],
                                              matplotlib.colormaps[cmap_name], alpha)
        cases.append({'heatmap': hm, 'image': img, 'colormap': cmap_name, 'alphaLimit': alpha, 'filter': filt,
                      'small': enc_image(small), 'expected': enc_image(overlay)})
    # Plain (gray) heatmaps: heatmap_to_image and expand_heatmap as ELI5 computes them.
    gray = []
    for hm in ['random7x7', 'edges3x8', 'blob14x14']:
        g = eli5_heatmap_to_image(hms[hm])
        gray.append({'heatmap': hm, 'image': enc_image(g),
                     'expanded': {f: enc_image(g.resize((37, 23), FILTERS[f])) for f in ('lanczos', 'bilinear')}})
    return write_json('format.json', {
        'heatmaps': {k: {'width': v.shape[1], 'height': v.shape[0], 'values': floats(v)} for k, v in hms.items()},
        'images': {k: enc_image(v) for k, v in images.items()},
        'cases': cases,
        'gray': gray,
    })


# ---------------------------------------------------------------------------------------------
# 5. Keras load_img (keras/src/utils/image_utils.py): open, convert('RGB'), resize((w, h), filter).


def keras_load_img(path, target_size=None, interpolation='nearest', keep_aspect_ratio=False):
    with open(path, 'rb') as f:
        img = Image.open(io.BytesIO(f.read()))
        if img.mode != 'RGB':
            img = img.convert('RGB')
        if target_size is not None:
            width_height_tuple = (target_size[1], target_size[0])
            if img.size != width_height_tuple:
                resample = FILTERS[interpolation]
                if keep_aspect_ratio:
                    width, height = img.size
                    target_width, target_height = width_height_tuple
                    crop_height = (width * target_height) // target_width
                    crop_width = (height * target_width) // target_height
                    crop_height = min(height, crop_height)
                    crop_width = min(width, crop_width)
                    crop_box_hstart = (height - crop_height) // 2
                    crop_box_wstart = (width - crop_width) // 2
                    crop_box = [crop_box_wstart, crop_box_hstart,
                                crop_box_wstart + crop_width, crop_box_hstart + crop_height]
                    img = img.resize(width_height_tuple, resample, box=crop_box)
                else:
                    img = img.resize(width_height_tuple, resample)
        return img


def save_png(im, name):
    im.save(OUT / name, optimize=True)
    return OUT / name


def make_load_img():
    cases = [
        ('chelsea.png', [224, 224], 'nearest', False, 'loadimg-chelsea-224.png'),
        ('coffee.png', [100, 150], 'nearest', False, 'loadimg-coffee-100x150.png'),
        ('coffee.png', [64, 96], 'bilinear', False, 'loadimg-coffee-64x96-bilinear.png'),
        ('astronaut.png', [72, 40], 'nearest', True, 'loadimg-astronaut-72x40-aspect.png'),
        ('rocket.jpg', [60, 90], 'nearest', False, 'loadimg-rocket-60x90.png'),
    ]
    out = []
    for src, size, interp, keep, name in cases:
        im = keras_load_img(IMAGES / src, size, interp, keep)
        save_png(im, name)
        out.append({'source': src, 'targetSize': size, 'interpolation': interp, 'keepAspectRatio': keep,
                    'expected': name})
    decoded = {}
    for src in ['chelsea.png', 'coffee.png', 'astronaut.png', 'rocket.jpg']:
        im = Image.open(IMAGES / src).convert('RGBA')
        decoded[src] = {'width': im.width, 'height': im.height,
                        'sha256': hashlib.sha256(im.tobytes()).hexdigest()}
    return write_json('load-img.json', {'cases': out, 'decoded': decoded})


# ---------------------------------------------------------------------------------------------
# 6. PNG variants the decoder must handle, written by hand where Pillow cannot write them
#    (16-bit colour, 2/4-bit gray, tRNS colour keys, interlacing), decoded by Pillow.


def png_chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_rows(samples, bit_depth):
    """samples: (h, w*channels) ints → filter-type-0 scanlines."""
    rows = []
    for row in samples:
        if bit_depth == 16:
            raw = b''.join(struct.pack('>H', int(v)) for v in row)
        elif bit_depth == 8:
            raw = bytes(int(v) for v in row)
        else:
            per = 8 // bit_depth
            buf = bytearray()
            for i in range(0, len(row), per):
                byte = 0
                for j in range(per):
                    v = int(row[i + j]) if i + j < len(row) else 0
                    byte |= v << (8 - bit_depth * (j + 1))
                buf.append(byte)
            raw = bytes(buf)
        rows.append(b'\x00' + raw)
    return b''.join(rows)


def adam7(samples, channels):
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    h = samples.shape[0]
    w = samples.shape[1] // channels
    px = samples.reshape(h, w, channels)
    out = []
    for x0, y0, dx, dy in passes:
        sub = px[y0::dy, x0::dx]
        if sub.size:
            out.append(sub.reshape(sub.shape[0], -1))
    return out


def make_png(width, height, bit_depth, color_type, samples, plte=None, trns=None, interlace=False):
    ihdr = struct.pack('>IIBBBBB', width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    if interlace:
        raw = b''.join(pack_rows(p, bit_depth) for p in adam7(samples, channels))
    else:
        raw = pack_rows(samples, bit_depth)
    body = png_chunk(b'IHDR', ihdr)
    if plte is not None:
        body += png_chunk(b'PLTE', np.asarray(plte, np.uint8).tobytes())
    if trns is not None:
        body += png_chunk(b'tRNS', trns)
    body += png_chunk(b'IDAT', zlib.compress(raw, 9)) + png_chunk(b'IEND', b'')
    return b'\x89PNG\r\n\x1a\n' + body


def make_png_variants():
    rng = np.random.default_rng(3)
    w, h = 5, 4
    variants = {}

    def add(name, data):
        im = Image.open(io.BytesIO(data))
        im.load()
        entry = {'png': base64.b64encode(data).decode('ascii'), 'pillowMode': im.mode,
                 'rgba': enc_image(im.convert('RGBA')), 'rgb': b64(np.asarray(im.convert('RGB')))}
        variants[name] = entry

    for depth in (1, 2, 4, 8, 16):
        s = rng.integers(0, 2 ** depth, size=(h, w))
        add(f'gray{depth}', make_png(w, h, depth, 0, s))
    s = rng.integers(0, 256, size=(h, w))
    s[0, 0] = 77
    add('gray8-trns', make_png(w, h, 8, 0, s, trns=struct.pack('>H', 77)))
    for depth in (8, 16):
        add(f'rgb{depth}', make_png(w, h, depth, 2, rng.integers(0, 2 ** depth, size=(h, w * 3))))
        add(f'graya{depth}', make_png(w, h, depth, 4, rng.integers(0, 2 ** depth, size=(h, w * 2))))
        add(f'rgba{depth}', make_png(w, h, depth, 6, rng.integers(0, 2 ** depth, size=(h, w * 4))))
    s = rng.integers(0, 256, size=(h, w * 3))
    s[1, 0:3] = [10, 20, 30]
    add('rgb8-trns', make_png(w, h, 8, 2, s, trns=struct.pack('>HHH', 10, 20, 30)))
    for depth in (1, 2, 4, 8):
        n = 2 ** depth
        plte = rng.integers(0, 256, size=n * 3)
        s = rng.integers(0, n, size=(h, w))
        add(f'palette{depth}', make_png(w, h, depth, 3, s, plte=plte))
    plte = rng.integers(0, 256, size=16 * 3)
    add('palette4-trns', make_png(w, h, 4, 3, rng.integers(0, 16, size=(h, w)), plte=plte,
                                  trns=bytes(rng.integers(0, 256, size=10).tolist())))
    add('rgba8-interlaced', make_png(11, 9, 8, 6, rng.integers(0, 256, size=(9, 11 * 4)), interlace=True))
    add('gray2-interlaced', make_png(9, 10, 2, 0, rng.integers(0, 4, size=(10, 9)), interlace=True))
    return write_json('png-variants.json', variants)


# ---------------------------------------------------------------------------------------------
# 7. EXIF orientation: JPEG (APP1) and PNG (eXIf) files with orientations 1-8, and what
#    ImageOps.exif_transpose makes of them. Flat colour blocks keep JPEG decoder differences
#    small next to any orientation mistake.


def make_orientation():
    from PIL import ImageOps
    w, h = 24, 16
    arr = np.zeros((h, w, 3), np.uint8)
    arr[: h // 2, : w // 2] = (255, 0, 0)
    arr[: h // 2, w // 2:] = (0, 255, 0)
    arr[h // 2:, : w // 2] = (0, 0, 255)
    arr[h // 2:, w // 2:] = (255, 255, 0)
    arr[0:4, 0:4] = (255, 255, 255)  # marks the top-left corner
    base = Image.fromarray(arr, 'RGB')
    cases = {}
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        # 4:4:4 so that jpeg-js and libjpeg-turbo agree closely (they upsample 4:2:0 chroma
        # differently); the 4:2:0 case below measures that difference.
        for fmt, kwargs in (('jpeg', {'quality': 95, 'subsampling': 0}), ('png', {})):
            buf = io.BytesIO()
            base.save(buf, fmt.upper(), exif=exif.tobytes(), **kwargs)
            data = buf.getvalue()
            im = Image.open(io.BytesIO(data))
            upright = ImageOps.exif_transpose(im).convert('RGBA')
            cases[f'{fmt}{orientation}'] = {'file': base64.b64encode(data).decode('ascii'),
                                            'decoded': enc_image(im.convert('RGBA')),
                                            'upright': enc_image(upright)}
    buf = io.BytesIO()
    base.save(buf, 'JPEG', quality=75)  # Pillow's defaults: 4:2:0 chroma subsampling
    cases['jpeg420'] = {'file': base64.b64encode(buf.getvalue()).decode('ascii'),
                        'decoded': enc_image(Image.open(io.BytesIO(buf.getvalue())).convert('RGBA'))}
    return write_json('orientation.json', cases)


FILE_NOTES = {
    'resize.json': 'Image.resize: 6 filters × RGBA/L × up, down, one axis, mixed, same size, fractional box, '
                   'crop box, and the tall-image (height > 100 × width) path; random inputs',
    'colormaps.json': 'the 12 colormaps: 256-entry tables (cmap(arange(256))), float64 and float32 probes '
                      'around the floor(x·256) edges, out-of-range values and NaN',
    'composite.json': 'Image.alpha_composite and RGBA ↔ RGBa conversions on random 16×16 images',
    'format.json': 'ELI5 format_as_image (reimplemented) over 7 heatmaps × 4 images × colormaps × '
                   'alpha limits 0.65/1.0/0.3/None × all filters; heatmap_to_image and gray expand_heatmap',
    'load-img.json': "Keras load_img cases (PNG outputs below) and sha256 of Pillow's decode of the example photos",
    'png-variants.json': 'hand-written PNGs (1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA, palette, tRNS keys, '
                         "interlaced) with Pillow's convert('RGBA') and convert('RGB')",
    'orientation.json': 'JPEG (4:4:4) and PNG files with EXIF orientation 1-8, Pillow decode and '
                        'ImageOps.exif_transpose; one 4:2:0 JPEG',
}


def write_readme(files):
    lines = [
        '# Golden fixtures for @gradcam/format',
        '',
        'Generated by `tools/format/make_fixtures.py` (run it with the tools venv: '
        '`/tmp/venv/bin/python tools/format/make_fixtures.py`). Do not edit by hand.',
        '',
        f'- Pillow {PIL.__version__}',
        f'- matplotlib {matplotlib.__version__}',
        f'- numpy {np.__version__}',
        '- ELI5 `format_as_image` and Keras `load_img`: reimplemented in the script with the same '
        'Pillow/matplotlib calls (no TensorFlow, Keras or ELI5 needed).',
        '',
        'Images are base64 of raw row-major bytes (`mode` L or RGBA); heatmaps are float32 values; '
        '`loadimg-*.png` are RGB PNGs of what Keras returns.',
        '',
        '| file | bytes | contents |',
        '|---|---:|---|',
    ]
    for p in files:
        note = FILE_NOTES.get(p.name, 'Keras load_img output' if p.name.startswith('loadimg-') else '')
        lines.append(f'| `{p.name}` | {p.stat().st_size} | {note} |')
    (OUT / 'README.md').write_text('\n'.join(lines) + '\n')


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    make_resize()
    make_colormaps()
    make_composite()
    make_format()
    make_load_img()
    make_png_variants()
    make_orientation()
    files = sorted(p for p in OUT.iterdir() if p.suffix in ('.json', '.png'))
    write_readme(files)
    total = sum(p.stat().st_size for p in files)
    for p in files:
        print(f'{p.name:40s} {p.stat().st_size:8d}')
    print(f'total {total} bytes; Pillow {PIL.__version__}, matplotlib {matplotlib.__version__}, numpy {np.__version__}')


if __name__ == '__main__':
    main()
