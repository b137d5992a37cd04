"""Hand-made abstracts for similar-papers tests: one query and candidates that share only its
background, only its method, or nothing."""

from __future__ import annotations

QUERY = (
    "Message passing networks for molecular property prediction",
    "Predicting the properties of molecules is a central problem in drug discovery. "
    "Laboratory measurements are slow and expensive. We propose a message passing graph "
    "neural network that learns atom representations from the molecular graph. The model "
    "aggregates neighbour features with attention over chemical bonds. Experiments show that "
    "it reduces prediction error by 20% compared to fingerprint baselines.",
)
SAME_BACKGROUND = (
    "Random forests on molecular fingerprints for drug discovery",
    "Predicting properties of molecules is key to drug discovery, where laboratory "
    "experiments are costly and slow. We compute extended connectivity fingerprints and train "
    "random forest and gradient boosting regressors on them. A feature importance analysis "
    "identifies the substructures that matter. Results show competitive accuracy on toxicity "
    "and solubility datasets.",
)
SAME_METHOD = (
    "Graph attention networks for community detection in social networks",
    "Detecting communities in social networks helps to understand how users interact online. "
    "We propose a message passing graph neural network that learns node representations from "
    "the graph. The model aggregates neighbour features with attention over edges. "
    "Experiments on citation and friendship graphs show higher modularity than spectral "
    "clustering.",
)
UNRELATED = (
    "Streaming speech recognition with low latency",
    "Automatic speech recognition on phones must run with little delay. We train a "
    "transducer with chunked self-attention over audio frames. On spoken dictation it halves "
    "the latency at equal word error rate.",
)
PAPERS = {"q": QUERY, "bg": SAME_BACKGROUND, "me": SAME_METHOD, "un": UNRELATED}
