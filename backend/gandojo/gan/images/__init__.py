"""Image GANs on 28×28 datasets (MNIST, Fashion-MNIST): models, training, metrics, sampling (the data: datasets/)."""
