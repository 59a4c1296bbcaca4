"""iRPE: image relative position encoding as an additive attention term, in pure PyTorch.

Wu et al., "Rethinking and Improving Relative Position Encoding for Vision Transformer",
ICCV 2021 (arXiv:2107.14222). A 2-D offset between query patch i and key patch j,
``(dr, dc) = pos_i - pos_j`` (row, column), is mapped to a bucket ``I(i, j)`` and every bucket
owns a learned vector ``r`` (contextual mode) or scalar (bias mode). On keys (Eq. 13):

    e_ij = q_i . k_j * s + b_ij,   b_ij = q_i . r_I(i,j)  (contextual)  or  b_ij = r_I(i,j)  (bias)

with ``s = head_dim ** -0.5``; on queries ``b_ij = (s k_j) . r_I(j,i)``; on values the output
gains ``sum_j a_ij r_I(i,j)`` (a = softmax attention). The bucket of a 1-D offset is the
piecewise index of Eq. 18, with ``alpha = ratio``, ``beta = 2 ratio``, ``gamma = 8 ratio``:

    g(x) = round(x)                                                          if |x| <= alpha
    g(x) = sign(x) min(beta, round(alpha + ln(|x|/alpha) / ln(gamma/alpha) (beta - alpha)))
                                                                                 otherwise

truncated to an integer in ``[-B, B]``, ``B = int(beta)`` (as the reference code does: for
``ratio=1.9``, offsets 0, +-1, +-2..3, +-4.. map to 0, +-1, +-2, +-3). The 2-D methods
(Sec. 3.2) are: ``'product'`` ``I = (g(dr) + B) (2B + 1) + g(dc) + B``, (2B + 1)^2 buckets;
``'euclidean'`` ``I = g(round(sqrt(dr^2 + dc^2))) + B``; ``'quant'`` ``I = g(dr^2 + dc^2) + B``;
``'cross'`` two tables, rows ``g(dr) + B`` and columns ``g(dc) + B``, whose terms are summed;
the last three have 2B + 1 buckets (the bucket layout of the reference code, so its tables load
one-to-one). Extra tokens (a class token) before the patches are "skipped": when
``num_extra_tokens > 0`` one more bucket (id = number of buckets) is added and every entry of
their rows and columns uses it, i.e. the class token gets one learned encoding, not a zero term
(as in the reference code; with its zero initialisation the term starts at zero).

Nothing of shape (B, H, N, N, head_dim) is formed: contextual on keys computes
``q @ table`` (B, H, N, num_buckets) and gathers it with the bucket index (N, N); on values
the attention is first summed per bucket (B, H, N, num_buckets) and then multiplied by the table.
When training on the CPU with contextual iRPE on keys alone (SAR-JEPA's setting),
:func:`contextual_key_attention` computes the whole attention in one autograd node with a
hand-written backward (the bias gradient is scattered back to the buckets once), instead of
``scaled_dot_product_attention``'s unfused path that a bias requiring gradients takes there.

Parameter names and shapes follow the reference (SAR-JEPA ``Pretraining/irpe.py``, taken from
microsoft/Cream ``iRPE``), so checkpoints map one-to-one: ``<attn>.rpe_k.lookup_table_weight``
(heads, head_dim, num_buckets) contextual on queries/keys, ``<attn>.rpe_v.lookup_table_weight``
(heads, num_buckets, head_dim) on values, ``<attn>.rpe_k.lookup_table_bias`` (heads,
num_buckets) in bias mode, and for ``'cross'`` ``<attn>.rpe_k.rp_rows.lookup_table_weight`` and
``<attn>.rpe_k.rp_cols.lookup_table_weight``; heads is 1 with ``shared_head=True``.

SAR-JEPA (``get_rpe_config(ratio=1.9, method='product', mode='ctx', shared_head=True, skip=1,
rpe_on='k')`` in ``vision_transformer_irpe.py``, used by every encoder and predictor block of
``models_lomar.py``) has B = 3, 7 x 7 = 49 offset buckets + 1 class-token bucket = 50, whatever
the grid (a 14 x 14 grid of 224 px / 16 px uses all 49, a 7 x 7 window too, a 4 x 4 window 25).
Its keys are ``blocks.{i}.attn.rpe_k.lookup_table_weight`` (1, 64, 50) for the ViT-B/16 encoder
(768 / 12 heads; also ViT-S 384 / 6 and ViT-T 192 / 3) and
``decoder_blocks.{i}.attn.rpe_k.lookup_table_weight`` (1, 32, 50) for its predictor
(512 / 16 heads), zero-initialised. Its key term uses the *unscaled* query (``attn = q k^T s +
rpe_k(q)``); Cream's DeiT code and the paper scale it (``rpe_k(s q)``), see ``scaled_query`` of
:class:`~sar_mm.models.backbones.vit_irpe.IRPEMultiheadAttention`.
"""
import math
from functools import lru_cache
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

METHODS = ('euclidean', 'quant', 'cross', 'product')
MODES = ('bias', 'contextual')
_ALIASES = {'euc': 'euclidean', 'ctx': 'contextual'}
# the two halves of 'cross', each a 1-D bucket function with its own table
_CROSS_PARTS = ('cross_rows', 'cross_cols')
_RPE_CFG_KEYS = ('ratio', 'method', 'mode', 'shared_head', 'rpe_on', 'num_extra_tokens')


def piecewise_coefficients(ratio: float) -> Tuple[float, float, float]:
    """``(alpha, beta, gamma) = (ratio, 2 ratio, 8 ratio)`` of the piecewise index (iRPE)."""
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio > 0:
        raise ValueError(f'irpe.py: ratio must be a number > 0, got {ratio!r}')
    return float(ratio), 2.0 * ratio, 8.0 * ratio


@torch.no_grad()
def piecewise_index(relative: torch.Tensor, alpha: float, beta: float,
                    gamma: float) -> torch.Tensor:
    """Piecewise index function g of iRPE (Wu et al., ICCV 2021, Eq. 18).

    Exact (rounded) for ``|x| <= alpha``, logarithmic beyond, saturating at ``int(beta)``.

    Args:
        relative (Tensor): Relative positions or distances, any shape, integer or float.
        alpha (float): Radius of the exact part, > 0.
        beta (float): Largest bucket (truncated to an integer), >= alpha.
        gamma (float): Distance at which the logarithmic part reaches beta, > alpha.

    Returns:
        Tensor: long tensor of ``relative``'s shape, values in ``[-int(beta), int(beta)]``.
    """
    if not (alpha > 0 and beta >= alpha and gamma > alpha):
        raise ValueError(f'irpe.py: piecewise_index needs 0 < alpha <= beta and gamma > alpha, '
                         f'got alpha={alpha}, beta={beta}, gamma={gamma}')
    x = relative.float()
    mag = x.abs()
    far = alpha + torch.log(mag.clamp(min=alpha) / alpha) / math.log(gamma / alpha) * (beta - alpha)
    far = torch.sign(x) * far.round().clamp(max=int(beta))
    return torch.where(mag <= alpha, x.round(), far).long()


def num_buckets(method: str, ratio: float = 1.9, num_extra_tokens: int = 0) -> int:
    """Number of encodings one table holds (``'cross'``: each of its two tables).

    Args:
        method (str): One of ``'euclidean'``, ``'quant'``, ``'cross'``, ``'product'``.
        ratio (float): Piecewise index coefficient (see :func:`piecewise_coefficients`).
        num_extra_tokens (int): Tokens before the patches; if > 0 one shared extra bucket.
    """
    method = _check_method(method, allow_parts=True)
    half = int(piecewise_coefficients(ratio)[1])
    n = (2 * half + 1)**2 if method == 'product' else 2 * half + 1
    return n + (1 if _check_extra(num_extra_tokens) > 0 else 0)


def bucket_ids(method: str,
               height: int,
               width: int,
               ratio: float = 1.9,
               num_extra_tokens: int = 0,
               device: Optional[torch.device] = None) -> torch.Tensor:
    """Bucket index ``I(i, j)`` for all token pairs of a ``height x width`` patch grid.

    Tokens are ``num_extra_tokens`` extra tokens followed by the patches in row-major order.
    Tables are cached per (method, grid, ratio, extra tokens, device): do not modify the result.

    Args:
        method (str): ``'euclidean'``, ``'quant'``, ``'product'``, or one half of ``'cross'``
            (``'cross_rows'``, ``'cross_cols'``).
        height (int): Grid rows.
        width (int): Grid columns.
        ratio (float): Piecewise index coefficient. Defaults to 1.9.
        num_extra_tokens (int): Extra tokens before the patches; their rows and columns get
            the extra bucket ``num_buckets(method, ratio)``. Defaults to 0.
        device (torch.device, optional): Device of the table. Defaults to CPU.

    Returns:
        Tensor: long (E + H*W, E + H*W), E = ``num_extra_tokens``.
    """
    method = _check_method(method, allow_parts=True)
    if method == 'cross':
        raise ValueError("irpe.py: 'cross' has two tables; ask for 'cross_rows' and "
                         "'cross_cols'")
    for name, value in (('height', height), ('width', width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'irpe.py: grid {name} must be an int >= 1, got {value!r}')
    piecewise_coefficients(ratio)
    device = torch.device('cpu') if device is None else torch.device(device)
    return _bucket_ids_cached(method, height, width, float(ratio), _check_extra(num_extra_tokens),
                              device)


@lru_cache(maxsize=64)
@torch.no_grad()
def _bucket_ids_cached(method, height, width, ratio, extra, device):
    alpha, beta, gamma = piecewise_coefficients(ratio)
    half = int(beta)
    rows = torch.arange(height, device=device).repeat_interleave(width)  # (L,)
    cols = torch.arange(width, device=device).repeat(height)  # (L,)
    dr = rows[:, None] - rows[None, :]  # (L, L): query row - key row
    dc = cols[:, None] - cols[None, :]

    def g(x):
        return piecewise_index(x, alpha, beta, gamma)

    if method == 'product':
        ids = (g(dr) + half) * (2 * half + 1) + g(dc) + half
    elif method == 'euclidean':
        ids = g((dr * dr + dc * dc).float().sqrt().round()) + half
    elif method == 'quant':
        ids = g(dr * dr + dc * dc) + half
    elif method == 'cross_rows':
        ids = g(dr) + half
    else:  # cross_cols
        ids = g(dc) + half
    if extra:
        n = height * width
        padded = ids.new_full((extra + n, extra + n), num_buckets(method, ratio))
        padded[extra:, extra:] = ids
        ids = padded
    return ids.contiguous()


def _check_method(method, allow_parts=False):
    name = _ALIASES.get(str(method).lower(), str(method).lower())
    allowed = METHODS + (_CROSS_PARTS if allow_parts else ())
    if name not in allowed:
        raise ValueError(f'irpe.py: unknown iRPE method {method!r}; expected one of {allowed}')
    return name


def _check_extra(num_extra_tokens):
    if (isinstance(num_extra_tokens, bool) or not isinstance(num_extra_tokens, int)
            or num_extra_tokens < 0):
        raise ValueError(f'irpe.py: num_extra_tokens must be an int >= 0, '
                         f'got {num_extra_tokens!r}')
    return num_extra_tokens


class IRPE(nn.Module):
    """One iRPE table (Wu et al., ICCV 2021) and its attention term, for one bucket function.

    On queries or keys (``on='q'`` / ``'k'``) ``forward(x, hw)`` returns the additive attention
    term ``out[b, h, i, j] = x[b, h, i] . r[I(i, j)]`` (contextual) or ``r[I(i, j)]`` (bias),
    shape (B or 1, H, N, N); the attention passes ``x = q`` for keys and ``x = s k``
    transposed for queries. On values (``on='v'``, contextual only) ``forward(attn, hw)``
    returns ``out[b, h, i] = sum_j attn[b, h, i, j] r[I(i, j)]``, shape (B, H, N, head_dim).
    Tables start at zero, as in the reference.

    Args:
        head_dim (int): Channels per head.
        num_heads (int): Attention heads.
        mode (str): ``'contextual'`` (vectors, Eq. 13) or ``'bias'`` (scalars).
            Defaults to ``'contextual'``.
        method (str): ``'euclidean'``, ``'quant'``, ``'product'``, ``'cross_rows'`` or
            ``'cross_cols'`` (use :class:`IRPECross` for ``'cross'``). Defaults to
            ``'product'``.
        ratio (float): Piecewise index coefficient. Defaults to 1.9.
        shared_head (bool): One table for all heads. Defaults to True.
        num_extra_tokens (int): Tokens before the patches (class token), which share one extra
            bucket. Defaults to 0.
        on (str): ``'q'``, ``'k'`` or ``'v'``. Defaults to ``'k'``.
    """

    def __init__(self,
                 head_dim: int,
                 num_heads: int,
                 mode: str = 'contextual',
                 method: str = 'product',
                 ratio: float = 1.9,
                 shared_head: bool = True,
                 num_extra_tokens: int = 0,
                 on: str = 'k'):
        super().__init__()
        mode = _ALIASES.get(mode, mode)
        if mode not in MODES:
            raise ValueError(f'irpe.py: mode must be one of {MODES}, got {mode!r}')
        if on not in ('q', 'k', 'v'):
            raise ValueError(f"irpe.py: on must be 'q', 'k' or 'v', got {on!r}")
        if on == 'v' and mode == 'bias':
            raise ValueError("irpe.py: iRPE on values exists only in 'contextual' mode")
        self.method = _check_method(method, allow_parts=True)
        if self.method == 'cross':
            raise ValueError("irpe.py: IRPE holds one table; build 'cross' with IRPECross")
        self.mode, self.on, self.ratio = mode, on, float(ratio)
        self.head_dim, self.num_heads = int(head_dim), int(num_heads)
        self.shared_head = bool(shared_head)
        self.num_extra_tokens = _check_extra(num_extra_tokens)
        self.num_buckets = num_buckets(self.method, ratio, self.num_extra_tokens)
        heads = 1 if self.shared_head else self.num_heads
        if mode == 'bias':
            self.lookup_table_bias = nn.Parameter(torch.zeros(heads, self.num_buckets))
        elif on == 'v':
            self.lookup_table_weight = nn.Parameter(
                torch.zeros(heads, self.num_buckets, self.head_dim))
        else:
            self.lookup_table_weight = nn.Parameter(
                torch.zeros(heads, self.head_dim, self.num_buckets))

    def extra_repr(self):
        return (f'on={self.on!r}, mode={self.mode!r}, method={self.method!r}, '
                f'ratio={self.ratio}, num_buckets={self.num_buckets}, '
                f'shared_head={self.shared_head}, num_extra_tokens={self.num_extra_tokens}')

    def bucket_ids(self, hw: Sequence[int], device=None) -> torch.Tensor:
        """The (N, N) bucket index of a grid ``hw = (height, width)`` (cached)."""
        return bucket_ids(self.method, int(hw[0]), int(hw[1]), self.ratio, self.num_extra_tokens,
                          device)

    def forward(self, x: torch.Tensor, hw: Sequence[int]) -> torch.Tensor:
        """Attention term for (B, H, N, head_dim) queries/keys or (B, H, N, N) attention."""
        if x.dim() != 4:
            raise ValueError(f'irpe.py: expected a 4-D (B, heads, N, ...) tensor, '
                             f'got shape {tuple(x.shape)}')
        batch, heads, length = x.shape[:3]
        if length != self.num_extra_tokens + int(hw[0]) * int(hw[1]):
            raise ValueError(f'irpe.py: {length} tokens do not match a {hw[0]}x{hw[1]} grid '
                             f'with {self.num_extra_tokens} extra tokens')
        ids = self.bucket_ids(hw, x.device)  # (N, N)
        if self.mode == 'bias':
            return self.lookup_table_bias[:, ids].unsqueeze(0)  # (1, H or 1, N, N)
        index = ids.expand(batch, heads, length, length)
        if self.on == 'v':
            # attention summed per bucket, then one matmul with the table
            per_bucket = x.new_zeros(batch, heads, length, self.num_buckets)
            per_bucket = per_bucket.scatter_add(3, index, x)  # (B, H, N, num_buckets)
            return per_bucket @ self.lookup_table_weight.to(x.dtype)  # (B, H, N, head_dim)
        if x.shape[-1] != self.head_dim:
            raise ValueError(f'irpe.py: expected head_dim {self.head_dim}, got {x.shape[-1]}')
        proj = x @ self.lookup_table_weight.to(x.dtype)  # (B, H, N, num_buckets)
        return torch.gather(proj, 3, index)  # (B, H, N, N)


class IRPECross(nn.Module):
    """iRPE ``'cross'`` method: a row table and a column table whose terms are summed.

    Args:
        **kwargs: :class:`IRPE` arguments except ``method``; the tables are ``rp_rows``
            (bucket of the row offset) and ``rp_cols`` (of the column offset).
    """

    def __init__(self, **kwargs):
        super().__init__()
        if kwargs.pop('method', 'cross') != 'cross':
            raise ValueError("irpe.py: IRPECross implements method='cross' only")
        self.rp_rows = IRPE(method='cross_rows', **kwargs)
        self.rp_cols = IRPE(method='cross_cols', **kwargs)
        self.num_extra_tokens = self.rp_rows.num_extra_tokens

    def forward(self, x: torch.Tensor, hw: Sequence[int]) -> torch.Tensor:
        return self.rp_rows(x, hw) + self.rp_cols(x, hw)


class _ContextualKeyAttention(torch.autograd.Function):
    """``softmax(s q k^T + gather(q @ table, ids)) v`` with a hand-written backward.

    Forward: ``qkv`` (B, N, 3, H, d) is made contiguous once as (3, B*H, N, d); the logits are
    the gathered key term plus ``s q k^T`` (one ``baddbmm``), then softmax and ``@ v``. The
    softmax output is saved. Backward, with ``P`` the attention and ``dS`` the logit gradient
    (softmax backward of ``dO v^T``): ``dv = P^T dO``, ``dk = s dS^T q``, the per-bucket
    gradient ``dR = scatter_add(dS, ids)`` (B*H, N, num_buckets), ``dq = s dS k + dR table^T``
    and ``dtable = q^T dR`` summed over the batch (and over the heads with a shared table);
    ``dq``, ``dk``, ``dv`` are written into one (3, B*H, N, d) buffer returned in ``qkv``'s
    layout.
    """

    @staticmethod
    def forward(ctx, qkv, table, ids, scale):
        batch, length, _, heads, dim = qkv.shape
        buckets = table.shape[-1]
        qkv_t = qkv.permute(2, 0, 3, 1, 4).reshape(3, batch * heads, length, dim)
        q, k, v = qkv_t[0], qkv_t[1], qkv_t[2]  # (B*H, N, d), contiguous
        if table.shape[0] == 1:  # one table for all heads: one (B*H*N, d) @ (d, buckets)
            proj = torch.mm(q.reshape(-1, dim), table[0]).view(-1, length, buckets)
        else:
            proj = torch.matmul(q.view(batch, heads, length, dim), table).view(-1, length, buckets)
        index = ids.expand(batch * heads, length, length)
        attn = torch.gather(proj, 2, index).baddbmm_(q, k.transpose(1, 2), alpha=scale)
        attn = torch.softmax(attn, dim=-1)
        out = torch.bmm(attn, v)
        ctx.save_for_backward(qkv_t, table, ids, attn)
        ctx.scale = scale
        return out.view(batch, heads, length, dim)

    @staticmethod
    def backward(ctx, grad_out):
        qkv_t, table, ids, attn = ctx.saved_tensors
        q, k, v = qkv_t[0], qkv_t[1], qkv_t[2]
        batch, heads, length, dim = grad_out.shape
        buckets = table.shape[-1]
        grad_out = grad_out.reshape(batch * heads, length, dim)
        grad_qkv = qkv_t.new_empty(qkv_t.shape)
        torch.bmm(attn.transpose(1, 2), grad_out, out=grad_qkv[2])  # dv
        grad_logits = torch._softmax_backward_data(
            torch.bmm(grad_out, v.transpose(1, 2)), attn, -1, attn.dtype)
        grad_proj = grad_logits.new_zeros(batch * heads, length, buckets)
        grad_proj.scatter_add_(2, ids.expand(batch * heads, length, length), grad_logits)
        grad_table = None
        if table.shape[0] == 1:
            flat = grad_proj.view(-1, buckets)
            torch.mm(flat, table[0].t(), out=grad_qkv[0].view(-1, dim))
            if ctx.needs_input_grad[1]:
                grad_table = torch.mm(q.reshape(-1, dim).t(), flat).unsqueeze(0)
        else:
            per_head = grad_proj.view(batch, heads, length, buckets)
            grad_qkv[0].view(batch, heads, length,
                             dim).copy_(torch.matmul(per_head, table.transpose(1, 2)))
            if ctx.needs_input_grad[1]:
                grad_table = torch.matmul(
                    q.view(batch, heads, length, dim).transpose(2, 3), per_head).sum(0)
        grad_logits.mul_(ctx.scale)  # the gradient of q k^T
        grad_qkv[0].baddbmm_(grad_logits, k)  # dq
        torch.bmm(grad_logits.transpose(1, 2), q, out=grad_qkv[1])  # dk
        grad_qkv = grad_qkv.view(3, batch, heads, length, dim).permute(1, 3, 0, 2, 4)
        return grad_qkv, grad_table, None, None


def contextual_key_attention(qkv: torch.Tensor, table: torch.Tensor, ids: torch.Tensor,
                             scale: float) -> torch.Tensor:
    """Attention with contextual iRPE on keys, ``softmax(s q k^T + b) v``, ``b_ij = q_i .
    table[:, I(i, j)]``, in one autograd node (see :class:`_ContextualKeyAttention`).

    The same values as adding :class:`IRPE`'s key term (on ``q``) to the logits of
    ``scaled_dot_product_attention``, up to float rounding; faster on the CPU when gradients
    are needed (no dropout, no other iRPE term).

    Args:
        qkv (Tensor): (B, N, 3, H, head_dim), the reshaped output of the qkv projection.
        table (Tensor): (1 or H, head_dim, num_buckets) contextual key table (scaled by the
            caller for ``scaled_query``), the dtype of ``qkv``.
        ids (Tensor): long (N, N) bucket index.
        scale (float): ``s``, usually ``head_dim ** -0.5``.

    Returns:
        Tensor: (B, H, N, head_dim).
    """
    if qkv.dim() != 5 or qkv.shape[2] != 3:
        raise ValueError(f'irpe.py: expected qkv (B, N, 3, H, head_dim), got {tuple(qkv.shape)}')
    heads, dim, length = qkv.shape[3], qkv.shape[4], qkv.shape[1]
    if table.dim() != 3 or table.shape[0] not in (1, heads) or table.shape[1] != dim:
        raise ValueError(f'irpe.py: table {tuple(table.shape)} does not fit {heads} heads of '
                         f'{dim} channels')
    if ids.shape != (length, length):
        raise ValueError(f'irpe.py: bucket index {tuple(ids.shape)} does not fit {length} tokens')
    return _ContextualKeyAttention.apply(qkv, table, ids, float(scale))


def build_irpe(rpe_cfg: Optional[dict], head_dim: int, num_heads: int):
    """Build the iRPE modules on queries, keys and values from a config dict.

    Args:
        rpe_cfg (dict, optional): ``ratio`` (1.9), ``method`` (``'product'``), ``mode``
            (``'contextual'``), ``shared_head`` (True), ``rpe_on`` (``'k'``; any of ``'q'``,
            ``'k'``, ``'v'`` combined, e.g. ``'qkv'``), ``num_extra_tokens`` (0). None: no iRPE.
            The defaults are SAR-JEPA's settings.
        head_dim (int): Channels per head.
        num_heads (int): Attention heads.

    Returns:
        tuple: ``(rpe_q, rpe_k, rpe_v)``, each an :class:`IRPE`, :class:`IRPECross` or None.
    """
    if rpe_cfg is None:
        return None, None, None
    if not isinstance(rpe_cfg, dict):
        raise TypeError(f'irpe.py: rpe_cfg must be a dict or None, got {type(rpe_cfg).__name__}')
    unknown = set(rpe_cfg) - set(_RPE_CFG_KEYS)
    if unknown:
        raise ValueError(f'irpe.py: unknown rpe_cfg keys {sorted(unknown)}; '
                         f'expected some of {_RPE_CFG_KEYS}')
    cfg = dict(
        ratio=1.9,
        method='product',
        mode='contextual',
        shared_head=True,
        rpe_on='k',
        num_extra_tokens=0)
    cfg.update(rpe_cfg)
    rpe_on = str(cfg.pop('rpe_on'))
    if not rpe_on or set(rpe_on) - set('qkv'):
        raise ValueError(f"irpe.py: rpe_on must combine 'q', 'k' and 'v', got {rpe_on!r}")
    method = _check_method(cfg.pop('method'))
    cls = IRPECross if method == 'cross' else IRPE
    if cls is IRPE:
        cfg['method'] = method
    return tuple(
        cls(head_dim=head_dim, num_heads=num_heads, on=on, **cfg) if on in rpe_on else None
        for on in 'qkv')
