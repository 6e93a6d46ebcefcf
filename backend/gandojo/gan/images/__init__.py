"""Image GANs on 28×28 datasets (MNIST, Fashion-MNIST): data, models, training, metrics, sampling."""
