"""Writes test/fixtures/mano/: files in MANO's layout with RANDOM data (never real MANO data).

    /usr/bin/python3 tools/reference/make_mano_fixtures.py

chumpy and scipy are not installed (and must not be needed): stand-in classes are registered under
the module names real MANO pickles name (`chumpy.ch.Ch`, `chumpy.ch_ops.add`,
`scipy.sparse.csc.csc_matrix`), so pickle writes the SAME globals the real files contain. The
chumpy pickle is written the way Python 2 wrote MANO_*.pkl: protocol 2, `str` as BINSTRING
(array bytes included), objects via `copy_reg._reconstructor` + BUILD.

MANO_LEFT_chumpy_v40.pkl   py2-style, protocol 2: chumpy Ch (v_template, shapedirs), scipy CSC
                           J_regressor, Fortran-order posedirs, big-endian hands_components,
                           uint32 faces, int64 kintree_table with root 4294967295, set in Ch state
MANO_RIGHT_v778.npz        778 vertices, savez_compressed, float32, dense J_regressor, int32 f
MANO_RIGHT_sparse_v24.npz  J_regressor as J_regressor_data/_indices/_indptr/_shape/_format (csc)
cleaned-proto2_v20.pkl     numpy only, py3 protocol 2 (bytes via _codecs.encode); no side in name
cleaned-proto4_v30.pkl     numpy only, protocol 4, numpy 2 module names (numpy._core.multiarray)
MANO_LEFT_proto5_v16.pkl   numpy only, protocol 5 (numpy.core.numeric._frombuffer)
bad-hostile.pkl            a dict holding GLOBAL os.system + REDUCE
bad-chumpy-add.pkl         shapedirs is a chumpy.ch_ops.add (cannot be evaluated without chumpy)
bad-missing.npz            posedirs missing
bad-shape.npz              weights of V x 15
expected.json              per file: side, V, and SHA-256 of the arrays the reader must return
"""
import copyreg
import hashlib
import io
import json
import os
import pickle
import struct
import sys
import types

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'mano')
PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14]


# ---- stand-ins registered under the real module names ---------------------------------------
def module(name):
    m = types.ModuleType(name)
    sys.modules[name] = m
    parent, _, child = name.rpartition('.')
    if parent:
        setattr(sys.modules[parent], child, m)
    return m


for n in ['chumpy', 'chumpy.ch', 'chumpy.ch_ops', 'scipy', 'scipy.sparse', 'scipy.sparse.csc']:
    if n not in sys.modules:
        module(n)


class _Reconstructed:
    """Pickled like a Python-2 object of a new-style class without __reduce__: copy_reg._reconstructor."""

    def __reduce__(self):
        return (copyreg._reconstructor, (type(self), object, None), self.__dict__)


class Ch(_Reconstructed):
    def __init__(self, x):
        self.x = x
        self._dirty_vars = set()  # real Ch state holds a few bookkeeping attributes like this
        self._depends_on_deps = {}


class add(_Reconstructed):  # noqa: N801 (chumpy's class name)
    def __init__(self, a, b):
        self.a = a
        self.b = b


class csc_matrix(_Reconstructed):  # noqa: N801
    def __init__(self, dense):
        rows, cols = dense.shape
        data, indices, indptr = [], [], [0]
        for c in range(cols):
            for r in range(rows):
                if dense[r, c] != 0:
                    data.append(dense[r, c])
                    indices.append(r)
            indptr.append(len(data))
        self.data = np.array(data, dtype=np.float64)
        self.indices = np.array(indices, dtype=np.int32)
        self.indptr = np.array(indptr, dtype=np.int32)
        self._shape = (rows, cols)
        self.maxprint = 50


for cls, mod in [(Ch, 'chumpy.ch'), (add, 'chumpy.ch_ops'), (csc_matrix, 'scipy.sparse.csc')]:
    cls.__module__ = mod
    setattr(sys.modules[mod], cls.__name__, cls)


class Py2Pickler(pickle._Pickler):
    """Pure-Python pickler writing every str/bytes as a py2 `str` (SHORT_BINSTRING / BINSTRING)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode('latin1')
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack('<i', len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2str
    dispatch[str] = save_py2str


def py2_pickle(obj):
    f = io.BytesIO()
    Py2Pickler(f, protocol=2, fix_imports=True).dump(obj)
    return f.getvalue()


def numpy2_names_pickle(obj, protocol):
    """A pickle naming numpy 2's modules (numpy._core.multiarray._reconstruct)."""
    core = module('numpy._core') if 'numpy._core' not in sys.modules else sys.modules['numpy._core']
    ma = module('numpy._core.multiarray') if 'numpy._core.multiarray' not in sys.modules else sys.modules['numpy._core.multiarray']
    recon = np.core.multiarray._reconstruct

    def _reconstruct(*a):
        return recon(*a)

    _reconstruct.__module__ = 'numpy._core.multiarray'
    _reconstruct.__qualname__ = '_reconstruct'
    ma._reconstruct = _reconstruct
    core.multiarray = ma

    class P(pickle.Pickler):
        def reducer_override(self, o):
            if isinstance(o, np.ndarray):
                fn, args, state = o.__reduce__()
                return (_reconstruct, args, state)
            return NotImplemented

    f = io.BytesIO()
    P(f, protocol=protocol).dump(obj)
    return f.getvalue()


# ---- random MANO-shaped data -------------------------------------------------------------------
def random_mano(rng, V, F, sparse_posedirs=False):
    posedirs = rng.normal(0, 0.002, (V, 3, 135))
    if sparse_posedirs:
        posedirs[rng.random((V, 3, 135)) > 0.04] = 0  # mostly zero: compresses, keeps the npz small
    jreg = np.zeros((16, V))
    for j in range(16):
        idx = rng.choice(V, 4, replace=False)
        w = rng.uniform(0.2, 1, 4)
        jreg[j, idx] = w / w.sum()
    weights = np.zeros((V, 16))
    for v in range(V):
        ks = rng.choice(16, 2, replace=False)
        w = rng.uniform(0.1, 1, 2)
        weights[v, ks] = w / w.sum()
    q, _ = np.linalg.qr(rng.normal(size=(45, 45)))
    return {
        'v_template': rng.uniform(-0.05, 0.1, (V, 3)),
        'shapedirs': rng.normal(0, 0.003, (V, 3, 10)),
        'posedirs': posedirs,
        'J_regressor': jreg,
        'weights': weights,
        'kintree_table': np.array([[4294967295] + PARENTS[1:], list(range(16))], dtype=np.int64),
        'f': rng.integers(0, V, (F, 3)).astype(np.uint32),
        'hands_components': q.T.copy(),
        'hands_mean': rng.normal(0, 0.2, 45),
        # keys real MANO files also have, which the reader ignores:
        'bs_style': 'lbs',
        'bs_type': 'lrotmin',
        'J': rng.normal(0, 0.05, (16, 3)),
        'hands_coeffs': rng.normal(0, 0.5, (4, 45)),
    }


def tips_for(side, V):
    left = [(i * V) // 778 for i in [745, 317, 445, 556, 673]]
    return left if side == 'left' else [i - 1 if f == 2 else i for f, i in enumerate(left)]


def sha(a, dtype):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=dtype).tobytes()).hexdigest()


def expected(d, side):
    V = d['v_template'].shape[0]
    return {
        'side': side,
        'numVertices': V,
        'numFaces': int(d['f'].shape[0]),
        'parents': PARENTS,
        'tipIndices': [745, 317, 445, 556, 673] if V == 778 and side == 'left' else [745, 317, 444, 556, 673] if V == 778 else tips_for(side, V),
        'sha256': {
            'vTemplate': sha(d['v_template'], '<f4'),
            'shapedirs': sha(d['shapedirs'], '<f4'),
            'posedirs': sha(d['posedirs'], '<f4'),
            'jRegressor': sha(d['J_regressor'], '<f4'),
            'weights': sha(d['weights'], '<f4'),
            'faces': sha(d['f'], '<u4'),
            'handsComponents': sha(d['hands_components'], '<f4'),
            'handsMean': sha(d['hands_mean'], '<f4'),
        },
    }


def arrays_only(d):
    return {k: v for k, v in d.items() if isinstance(v, np.ndarray)}


def main():
    os.makedirs(ROOT, exist_ok=True)
    rng = np.random.default_rng(20240917)
    exp = {}

    def put(name, data):
        with open(os.path.join(ROOT, name), 'wb') as fh:
            fh.write(data)

    # 1. py2-style chumpy pickle, protocol 2 (as MANO_LEFT.pkl / MANO_RIGHT.pkl are written)
    d = random_mano(rng, 40, 60)
    p = dict(d)
    p['v_template'] = Ch(d['v_template'])
    p['shapedirs'] = Ch(d['shapedirs'])
    p['J_regressor'] = csc_matrix(d['J_regressor'])
    p['posedirs'] = np.asfortranarray(d['posedirs'])
    p['hands_components'] = d['hands_components'].astype('>f8')
    put('MANO_LEFT_chumpy_v40.pkl', py2_pickle(p))
    exp['MANO_LEFT_chumpy_v40.pkl'] = expected(d, 'left')

    # 2. 778 vertices, compressed npz, float32 / int32
    d = random_mano(rng, 778, 1538, sparse_posedirs=True)
    d32 = {k: (v.astype(np.float32) if v.dtype.kind == 'f' else v) for k, v in arrays_only(d).items()}
    d32['f'] = d['f'].astype(np.int32)
    d32['kintree_table'] = d['kintree_table'].astype(np.uint32)
    np.savez_compressed(os.path.join(ROOT, 'MANO_RIGHT_v778.npz'), **d32)
    exp['MANO_RIGHT_v778.npz'] = expected(d32, 'right')

    # 3. sparse J_regressor in parts (scipy.sparse.save_npz-like names, prefixed)
    d = random_mano(rng, 24, 30)
    a = arrays_only(d)
    jr = a.pop('J_regressor')
    cs = csc_matrix(jr)
    a.update({'J_regressor_data': cs.data, 'J_regressor_indices': cs.indices, 'J_regressor_indptr': cs.indptr,
              'J_regressor_shape': np.array(jr.shape, dtype=np.int64), 'J_regressor_format': np.array('csc')})
    np.savez(os.path.join(ROOT, 'MANO_RIGHT_sparse_v24.npz'), **a)
    exp['MANO_RIGHT_sparse_v24.npz'] = expected(d, 'right')

    # 4. cleaned pickles: py3 protocol 2 (_codecs.encode), protocol 4 with numpy 2 names, protocol 5
    d = random_mano(rng, 20, 24)
    put('cleaned-proto2_v20.pkl', pickle.dumps(d, protocol=2))
    exp['cleaned-proto2_v20.pkl'] = expected(d, 'right')  # read with --side right
    d = random_mano(rng, 30, 40)
    put('cleaned-proto4_v30.pkl', numpy2_names_pickle(d, 4))
    exp['cleaned-proto4_v30.pkl'] = expected(d, 'left')  # read with --side left
    d = random_mano(rng, 16, 20)
    put('MANO_LEFT_proto5_v16.pkl', pickle.dumps(d, protocol=5))
    exp['MANO_LEFT_proto5_v16.pkl'] = expected(d, 'left')

    # 5. files that must be rejected
    put('bad-hostile.pkl', b'\x80\x02}q\x00(U\nv_templateq\x01cos\nsystem\nq\x02U\x04trueq\x03\x85q\x04Rq\x05u.')
    d = random_mano(rng, 16, 20)
    p = dict(d)
    p['shapedirs'] = add(Ch(d['shapedirs']), Ch(d['shapedirs']))
    put('bad-chumpy-add.pkl', py2_pickle(p))
    d = arrays_only(random_mano(rng, 16, 20))
    np.savez(os.path.join(ROOT, 'bad-missing.npz'), **{k: v for k, v in d.items() if k != 'posedirs'})
    d['weights'] = d['weights'][:, :15]
    np.savez(os.path.join(ROOT, 'bad-shape.npz'), **d)

    with open(os.path.join(ROOT, 'expected.json'), 'w') as fh:
        json.dump(exp, fh, indent=1)
    total = sum(os.path.getsize(os.path.join(ROOT, f)) for f in os.listdir(ROOT))
    print(f'wrote {len(os.listdir(ROOT))} files to {os.path.normpath(ROOT)}: {total / 1e6:.2f} MB')


if __name__ == '__main__':
    main()
