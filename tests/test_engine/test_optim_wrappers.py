import pytest
import torch
from mmengine.registry import OPTIM_WRAPPERS


def test_cpu_autocast_runs_forward_in_bf16_and_keeps_fp32_params():
    model = torch.nn.Linear(4, 3)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='CPUAutocastOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 4))
    assert out.dtype == torch.bfloat16
    before = model.weight.detach().clone()
    wrapper.update_params(out.float().pow(2).mean())
    assert model.weight.dtype == torch.float32 and not torch.equal(before, model.weight)
    with pytest.raises(ValueError, match='bfloat16 or float16'):
        OPTIM_WRAPPERS.build(
            dict(
                type='CPUAutocastOptimWrapper',
                dtype='float32',
                optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
