package io.github.dgpo.train.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TR-DPO (Gorbatovski et al. 2024; TRL's {@code sync_ref_model}): every {@code
 * ref_model_sync_steps} updates the live reference moves towards the policy, {@code θ_ref ←
 * α·θ + (1 - α)·θ_ref} with {@code α = ref_model_mixup_alpha}.
 */
final class ReferenceSync implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(ReferenceSync.class);

    private final Map<String, NDArray> policy;
    private final Map<String, NDArray> reference;
    private final double alpha;
    private final int every;

    ReferenceSync(Map<String, NDArray> policy, Map<String, NDArray> reference, double alpha, int every) {
        if (!policy.keySet().equals(reference.keySet())) {
            throw new IllegalArgumentException("sync_ref_model needs a reference with the policy's parameters; they differ");
        }
        this.policy = policy;
        this.reference = reference;
        this.alpha = alpha;
        this.every = every;
    }

    @Override
    public void onStepEnd(StepRecord step) {
        if (step.step() % every != 0) {
            return;
        }
        for (Map.Entry<String, NDArray> e : reference.entrySet()) {
            NDArray ref = e.getValue();
            try (NDManager tmp = ref.getManager().newSubManager()) {
                NDArray mixed = policy.get(e.getKey()).stopGradient().mul(alpha);
                mixed.attach(tmp);
                ref.muli(1 - alpha).addi(mixed);
            }
        }
        LOG.info("step {}: reference moved towards the policy (ref_model_mixup_alpha {})", step.step(), alpha);
    }
}
