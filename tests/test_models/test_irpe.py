"""iRPE (Wu et al., ICCV 2021): buckets by hand, the fast attention terms against explicit loops
over (i, j) of the paper's formulas, and the VisionTransformerIRPE backbone."""
import math

import pytest
import torch

import sar_mm  # noqa: F401
from sar_mm.models.backbones import (IRPE, IRPECross, IRPEMultiheadAttention,
                                     IRPETransformerEncoderLayer, VisionTransformerIRPE, bucket_ids,
                                     build_irpe, num_buckets, piecewise_index)
from sar_mm.models.backbones.irpe import contextual_key_attention

TINY = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


# ------------------------------------------------------------------ independent slow reference
def _g(x, ratio):
    """Eq. 18 of the paper, scalar by scalar, with the reference's truncation of beta."""
    alpha, beta, gamma = ratio, 2 * ratio, 8 * ratio
    if abs(x) <= alpha:
        return int(round(x))
    y = round(alpha + math.log(abs(x) / alpha) / math.log(gamma / alpha) * (beta - alpha))
    return int(math.copysign(min(y, beta), x))


def _bucket(method, p, r, ratio):
    """Bucket of query patch p = (row, col) and key patch r."""
    half = int(2 * ratio)
    dr, dc = p[0] - r[0], p[1] - r[1]
    if method == 'product':
        return (_g(dr, ratio) + half) * (2 * half + 1) + _g(dc, ratio) + half
    if method == 'euclidean':
        return _g(round(math.sqrt(dr * dr + dc * dc)), ratio) + half
    if method == 'quant':
        return _g(dr * dr + dc * dc, ratio) + half
    if method == 'cross_rows':
        return _g(dr, ratio) + half
    assert method == 'cross_cols'
    return _g(dc, ratio) + half


def _slow_ids(method, h, w, ratio, extra):
    half = int(2 * ratio)
    n_buckets = (2 * half + 1)**2 if method == 'product' else 2 * half + 1
    pos = [(r, c) for r in range(h) for c in range(w)]
    n = extra + h * w
    ids = [[n_buckets] * n for _ in range(n)]  # extra tokens: the one extra bucket
    for i in range(extra, n):
        for j in range(extra, n):
            ids[i][j] = _bucket(method, pos[i - extra], pos[j - extra], ratio)
    return ids


def _slow_term(module, x, hw):
    """Loop over (b, h, i, j) of b_ij = x_i . r_I(i,j) (keys/queries) or r_I(i,j) (bias), or
    over (b, h, i) of sum_j a_ij r_I(i,j) (values), in float64."""
    extra = module.num_extra_tokens
    if isinstance(module, IRPECross):
        return _slow_term(module.rp_rows, x, hw) + _slow_term(module.rp_cols, x, hw)
    ids = _slow_ids(module.method, hw[0], hw[1], module.ratio, extra)
    x = x.double()
    batch, heads, n = x.shape[:3]
    if module.mode == 'bias':
        table = module.lookup_table_bias.double()
    else:
        table = module.lookup_table_weight.double()
    out_dim = module.head_dim if module.on == 'v' else n
    out = torch.zeros(batch, heads, n, out_dim, dtype=torch.float64)
    for b in range(batch):
        for h in range(heads):
            t = table[0 if module.shared_head else h]
            for i in range(n):
                for j in range(n):
                    c = ids[i][j]
                    if module.mode == 'bias':
                        out[b, h, i, j] = t[c]
                    elif module.on == 'v':
                        out[b, h, i] += x[b, h, i, j] * t[c]
                    else:
                        out[b, h, i, j] = torch.dot(x[b, h, i], t[:, c])
    return out


def _randomise(module, seed=0, std=1.0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * std)
    return module


# ------------------------------------------------------------------ bucket functions by hand
def test_piecewise_index_hand_values():
    # ratio 1.9: alpha 1.9, beta 3.8 (-> 3), gamma 15.2; 1.9 (1 + log8(x / 1.9)) rounded
    x = torch.tensor([-13, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 13, 100])
    assert piecewise_index(x, 1.9, 3.8,
                           15.2).tolist() == [-3, -3, -3, -2, -2, -1, 0, 1, 2, 2, 3, 3, 3, 3, 3]
    # ratio 1: 1 + log8(x): x=2 -> 1.33 -> 1, x=3 -> 1.53 -> 2, x=8 -> 2, beyond saturates at 2
    assert piecewise_index(torch.tensor([0, 1, 2, 3, 8, 100]), 1., 2.,
                           8.).tolist() == [0, 1, 1, 2, 2, 2]
    # ratio 3: exact to 3, then 3 + 3 log8(x / 3): x=4 -> 3.41 -> 3, x=6 -> 4, x=24 -> 6
    assert piecewise_index(torch.tensor([3, 4, 6, 24, 25]), 3., 6., 24.).tolist() == [3, 3, 4, 6, 6]
    # floats are rounded in the exact part
    assert piecewise_index(torch.tensor([1.4, -1.6]), 1.9, 3.8, 15.2).tolist() == [1, -2]
    with pytest.raises(ValueError, match='irpe.py'):
        piecewise_index(x, 2., 1., 8.)


def test_product_bucket_ids_hand_values():
    # 2x2 grid, ratio 1.9: I = (dr + 3) * 7 + dc + 3, (dr, dc) = query - key
    expected = [[24, 23, 17, 16], [25, 24, 18, 17], [31, 30, 24, 23], [32, 31, 25, 24]]
    assert bucket_ids('product', 2, 2).tolist() == expected
    with_cls = bucket_ids('product', 2, 2, num_extra_tokens=1).tolist()
    assert with_cls[0] == [49] * 5 and [r[0] for r in with_cls] == [49] * 5
    assert [r[1:] for r in with_cls[1:]] == expected
    # 1x5 grid: column offsets 0, -1, -2, -3, -4 -> 0, -1, -2, -2, -3
    ids = bucket_ids('product', 1, 5)
    assert ids[0].tolist() == [24, 23, 22, 22, 21]
    assert ids[4].tolist() == [27, 26, 26, 25, 24]
    assert num_buckets('product') == 49 and num_buckets('product', num_extra_tokens=1) == 50
    assert num_buckets('euclidean', num_extra_tokens=1) == 8 and num_buckets('cross') == 7


def test_other_methods_hand_values():
    # 4x5 grid: patch (3, 4) is token 19, (1, 1) token 6, (0, 0) token 0
    assert bucket_ids('euclidean', 4, 5)[19, 0] == 3 + 3  # distance 5 -> g 3
    assert bucket_ids('euclidean', 4, 5)[6, 0] == 1 + 3  # sqrt(2) rounds to 1
    assert bucket_ids('quant', 4, 5)[6, 0] == 2 + 3  # squared distance 2
    assert bucket_ids('quant', 4, 5)[19, 0] == 3 + 3  # 25 -> 3
    assert bucket_ids('cross_rows', 4, 5)[19, 0] == 2 + 3  # dr 3 -> 2
    assert bucket_ids('cross_cols', 4, 5)[19, 0] == 3 + 3  # dc 4 -> 3
    assert bucket_ids('cross_cols', 4, 5)[0, 19] == -3 + 3
    with pytest.raises(ValueError, match='two tables'):
        bucket_ids('cross', 2, 2)
    with pytest.raises(ValueError, match='unknown iRPE method'):
        bucket_ids('manhattan', 2, 2)


@pytest.mark.parametrize('method', ['product', 'euclidean', 'quant', 'cross_rows'])
@pytest.mark.parametrize('ratio', [1.9, 1.0, 2.5])
def test_bucket_ids_match_slow_reference(method, ratio):
    for h, w, extra in ((3, 4, 0), (7, 7, 1), (14, 14, 1), (2, 9, 2)):
        assert bucket_ids(method, h, w, ratio,
                          extra).tolist() == _slow_ids(method, h, w, ratio, extra), (h, w, extra)


def test_sar_jepa_grid_uses_all_50_buckets_and_is_cached():
    ids = bucket_ids('product', 14, 14, 1.9, 1)
    assert ids.shape == (197, 197) and ids.unique().numel() == 50
    assert bucket_ids('product', 7, 7, 1.9, 1).unique().numel() == 50
    assert bucket_ids('product', 4, 4, 1.9, 1).unique().numel() == 26  # offsets +-3 -> +-2
    assert bucket_ids('product', 14, 14, 1.9, 1) is ids
    assert bucket_ids('product', 7, 7, 1.9, 1) is not ids


# ------------------------------------------------------------------ fast terms vs loops
@pytest.mark.parametrize('method', ['product', 'euclidean', 'quant', 'cross'])
@pytest.mark.parametrize('extra', [0, 1])
@pytest.mark.parametrize('shared_head', [True, False])
def test_contextual_key_term_matches_loop(method, extra, shared_head):
    hw = (3, 4)  # not square: rows and columns must not be swapped
    rpe_q, rpe_k, rpe_v = build_irpe(
        dict(method=method, shared_head=shared_head, num_extra_tokens=extra),
        head_dim=5,
        num_heads=3)
    assert rpe_q is None and rpe_v is None
    _randomise(rpe_k)
    q = torch.randn(2, 3, extra + 12, 5)
    fast = rpe_k(q, hw)
    assert fast.shape == (2, 3, extra + 12, extra + 12)
    torch.testing.assert_close(fast.double(), _slow_term(rpe_k, q, hw), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('method', ['product', 'cross'])
def test_bias_mode_and_value_term_match_loop(method):
    hw = (2, 3)
    bias = _randomise(
        build_irpe(dict(method=method, mode='bias', shared_head=False, num_extra_tokens=1), 4,
                   2)[1])
    q = torch.randn(2, 2, 7, 4)
    torch.testing.assert_close(
        bias(q, hw).expand(2, -1, -1, -1).double(), _slow_term(bias, q, hw), rtol=1e-5, atol=1e-5)
    value = _randomise(build_irpe(dict(method=method, rpe_on='v', num_extra_tokens=1), 4, 2)[2])
    attn = torch.rand(2, 2, 7, 7).softmax(-1)
    out = value(attn, hw)
    assert out.shape == (2, 2, 7, 4)
    torch.testing.assert_close(out.double(), _slow_term(value, attn, hw), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('rpe_on, scaled_query', [('k', False), ('k', True), ('qkv', False)])
def test_attention_matches_explicit_softmax(rpe_on, scaled_query):
    """softmax(q k^T s + b^K + b^Q^T) v (+ value term), b^K from q (SAR-JEPA) or s q (paper)."""
    torch.manual_seed(0)
    attn = IRPEMultiheadAttention(
        12,
        3,
        rpe_cfg=dict(
            rpe_on=rpe_on, scaled_query=scaled_query, shared_head=False, num_extra_tokens=1))
    _randomise(attn, std=0.3).eval()
    x = torch.randn(2, 1 + 12, 12)
    hw = (4, 3)
    with torch.no_grad():
        q, k, v = attn.qkv(x).double().reshape(2, 13, 3, 3, 4).permute(2, 0, 3, 1, 4)
        s = 4**-0.5
        logits = q @ k.transpose(-2, -1) * s
        logits = logits + _slow_term(attn.rpe_k, q * s if scaled_query else q, hw)
        if 'q' in rpe_on:
            logits = logits + _slow_term(attn.rpe_q, k * s, hw).transpose(-2, -1)
        a = logits.softmax(-1)
        out = a @ v
        if 'v' in rpe_on:
            out = out + _slow_term(attn.rpe_v, a, hw)
        out = out.transpose(1, 2).reshape(2, 13, 12).float()
        expected = attn.proj(out)
        torch.testing.assert_close(attn(x, hw), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='do not match a 3x3 grid'):
        attn(x, (3, 3))


def _graph_names(tensor):
    """Names of the autograd nodes behind ``tensor``."""
    names, stack, seen = set(), [tensor.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.add(type(node).__name__)
        stack.extend(n for n, _ in node.next_functions)
    return names


@pytest.mark.parametrize('shared_head, scaled_query', [(True, False), (False, False), (True, True),
                                                       (False, True)])
def test_fused_key_attention_matches_loop_with_gradients(shared_head, scaled_query):
    """Training on the CPU with contextual iRPE on keys takes contextual_key_attention (one
    autograd node, hand-written backward): its output and the gradients of the input, the qkv
    projection and the table equal those of softmax(q k^T s + b^K) v with b^K from the loop."""
    attn = IRPEMultiheadAttention(
        12, 3, rpe_cfg=dict(scaled_query=scaled_query, shared_head=shared_head, num_extra_tokens=1))
    _randomise(attn, std=0.3).train()
    hw = (4, 3)
    x = torch.randn(2, 1 + 12, 12, requires_grad=True)
    grad_out = torch.randn(2, 13, 12)
    out = attn(x, hw)
    assert '_ContextualKeyAttentionBackward' in _graph_names(out)
    params = [x, attn.qkv.weight, attn.rpe_k.lookup_table_weight]
    fast = [out] + list(torch.autograd.grad(out, params, grad_out))

    xd = x.detach().double().requires_grad_()
    qkv_w = attn.qkv.weight.detach().double().requires_grad_()
    table = attn.rpe_k.lookup_table_weight.detach().double().requires_grad_()
    rpe = IRPE(4, 3, shared_head=shared_head, num_extra_tokens=1)
    del rpe.lookup_table_weight
    rpe.lookup_table_weight = table  # a plain float64 tensor with a graph: the loop reads it
    qkv = torch.nn.functional.linear(xd, qkv_w, attn.qkv.bias.detach().double())
    q, k, v = qkv.reshape(2, 13, 3, 3, 4).permute(2, 0, 3, 1, 4)
    s = 4**-0.5
    logits = q @ k.transpose(-2, -1) * s + _slow_term(rpe, q * s if scaled_query else q, hw)
    slow = (logits.softmax(-1) @ v).transpose(1, 2).reshape(2, 13, 12)
    slow = torch.nn.functional.linear(slow, attn.proj.weight.double(), attn.proj.bias.double())
    expected = [slow] + list(torch.autograd.grad(slow, [xd, qkv_w, table], grad_out.double()))
    for got, want in zip(fast, expected):
        torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('heads', [1, 3])
def test_contextual_key_attention_gradcheck(heads):
    torch.manual_seed(0)
    ids = bucket_ids('product', 2, 3, 1.9, 1)  # 7 tokens, 50 buckets
    qkv = torch.randn(2, 7, 3, 3, 4, dtype=torch.float64, requires_grad=True)
    table = torch.randn(heads, 4, 50, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: contextual_key_attention(a, b, ids, 0.5),
                                    (qkv, table))
    with pytest.raises(ValueError, match='qkv'):
        contextual_key_attention(qkv[:, :, :2], table, ids, 0.5)
    with pytest.raises(ValueError, match='does not fit 3 heads'):
        contextual_key_attention(qkv, table[:, :3], ids, 0.5)
    with pytest.raises(ValueError, match='bucket index'):
        contextual_key_attention(qkv, table, ids[1:, 1:], 0.5)


def test_fused_key_attention_only_where_it_applies():
    """Not without gradients, under autocast or with attention dropout: those keep
    scaled_dot_product_attention, and give the same values."""
    attn = _randomise(IRPEMultiheadAttention(12, 3, rpe_cfg=dict(num_extra_tokens=1)), std=0.3)
    x = torch.randn(2, 13, 12)
    fused = attn(x, (4, 3))
    assert '_ContextualKeyAttentionBackward' in _graph_names(fused)
    with torch.no_grad():
        torch.testing.assert_close(attn(x, (4, 3)), fused, rtol=1e-5, atol=1e-5)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = attn(x, (4, 3))
    assert '_ContextualKeyAttentionBackward' not in _graph_names(out)
    torch.testing.assert_close(out.float(), fused, rtol=0.05, atol=0.05)
    attn.attn_drop = 0.5
    assert '_ContextualKeyAttentionBackward' not in _graph_names(attn(x, (4, 3)))
    attn.eval()  # no dropout in eval mode: fused again
    assert '_ContextualKeyAttentionBackward' in _graph_names(attn(x, (4, 3)))
    both = _randomise(IRPEMultiheadAttention(12, 3, rpe_cfg=dict(rpe_on='qk')), std=0.3)
    assert '_ContextualKeyAttentionBackward' not in _graph_names(both(x[:, 1:], (4, 3)))


def test_rpe_cfg_errors():
    with pytest.raises(ValueError, match="unknown rpe_cfg keys \\['skip'\\]"):
        build_irpe(dict(skip=1), 8, 2)
    with pytest.raises(ValueError, match='rpe_on'):
        build_irpe(dict(rpe_on='x'), 8, 2)
    with pytest.raises(ValueError, match='only in .contextual. mode'):
        build_irpe(dict(rpe_on='v', mode='bias'), 8, 2)
    with pytest.raises(ValueError, match='mode must be'):
        IRPE(8, 2, mode='relative')
    with pytest.raises(ValueError, match='num_extra_tokens'):
        VisionTransformerIRPE(
            arch=TINY, img_size=16, patch_size=8, rpe_cfg=dict(num_extra_tokens=0))


# ------------------------------------------------------------------ the backbone
def _pair(**kwargs):
    from mmpretrain.models import VisionTransformer
    args = dict(arch=TINY, img_size=32, patch_size=8, in_channels=1, **kwargs)
    torch.manual_seed(0)
    ref = VisionTransformer(**args)
    ref.init_weights()
    return ref, VisionTransformerIRPE(**args)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(out_type='featmap', out_indices=(0, 1)),
    dict(with_cls_token=False, out_type='avg_featmap', layer_scale_init_value=0.1)
])
def test_without_rpe_equals_mmpretrain_vit(kwargs):
    ref, net = _pair(**kwargs)
    assert list(net.state_dict()) == list(ref.state_dict())
    net.load_state_dict(ref.state_dict(), strict=True)
    ref.eval(), net.eval()
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        for a, b in zip(ref(x), net(x)):
            assert torch.equal(a, b)


def test_zero_tables_change_nothing_and_keys_add_only_tables():
    ref, _ = _pair()
    net = VisionTransformerIRPE(arch=TINY, img_size=32, patch_size=8, in_channels=1, rpe_cfg=dict())
    missing, unexpected = net.load_state_dict(ref.state_dict(), strict=False)
    assert missing == [f'layers.{i}.attn.rpe_k.lookup_table_weight' for i in range(2)]
    assert unexpected == []
    ref.eval(), net.eval()
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(net(x)[0], ref(x)[0], rtol=1e-5, atol=1e-5)
        _randomise(net.layers[0].attn.rpe_k)
        assert not torch.allclose(net(x)[0], ref(x)[0], atol=1e-3)


def test_irpe_backbone_builds_trains_and_drops_pos_embed():
    from mmpretrain.registry import MODELS
    net = MODELS.build(
        dict(
            type='VisionTransformerIRPE',
            arch=TINY,
            img_size=64,
            patch_size=8,
            in_channels=1,
            rpe_cfg=dict(),
            with_abs_pos_embed=False))
    assert isinstance(net, VisionTransformerIRPE)
    net.init_weights()
    keys = list(net.state_dict())
    assert 'pos_embed' not in keys and 'cls_token' in keys
    table = net.layers[1].attn.rpe_k.lookup_table_weight
    assert table.shape == (1, 16, 50)  # shared head, head_dim 32 / 2, 49 + class-token bucket
    out = net(torch.randn(2, 1, 64, 64))[0]
    assert out.shape == (2, 32)
    out.square().sum().backward()
    for layer in net.layers:
        grad = layer.attn.rpe_k.lookup_table_weight.grad
        assert grad is not None and grad.abs().sum() > 0
    # a checkpoint's pos_embed (SAR-JEPA keeps an unused one) is reported, not silently used
    state = dict(net.state_dict(), pos_embed=torch.zeros(1, 65, 32))
    with pytest.raises(RuntimeError, match='pos_embed'):
        net.load_state_dict(state)


def test_any_grid_size():
    net = VisionTransformerIRPE(
        arch=TINY,
        img_size=64,
        patch_size=8,
        in_channels=1,
        rpe_cfg=dict(),
        with_abs_pos_embed=False,
        out_type='featmap')
    _randomise(net.layers[0].attn.rpe_k)
    net.eval()
    with torch.no_grad():
        assert net(torch.randn(2, 1, 32, 32))[0].shape == (2, 32, 4, 4)
        assert net(torch.randn(2, 1, 64, 64))[0].shape == (2, 32, 8, 8)
        assert net(torch.randn(1, 1, 32, 64))[0].shape == (1, 32, 4, 8)
        # SAR-JEPA's window sequences ([cls] + S*S tokens) reach the layers without a grid
        layer = net.layers[0]
        for side in (4, 7):
            x = torch.randn(3, 1 + side * side, 32)
            torch.testing.assert_close(layer(x), layer(x, (side, side)))
        with pytest.raises(ValueError, match='no square grid'):
            layer(torch.randn(1, 11, 32))


def test_standalone_layer_per_head_tables():
    layer = IRPETransformerEncoderLayer(
        16, 4, 32, rpe_cfg=dict(shared_head=False, num_extra_tokens=1))
    assert layer.attn.rpe_k.lookup_table_weight.shape == (4, 4, 50)
    assert layer(torch.randn(2, 17, 16)).shape == (2, 17, 16)
