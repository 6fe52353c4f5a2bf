"""Follows TensorFlow's tutorial "Basic classification: Classify images of clothing"
(tensorflow/docs site/en/tutorials/keras/classification.ipynb): the same Keras calls in the
same order, only the imports changed (``tf.keras.X`` is written ``keras.X``; the ``# keras:``
comments give Keras's imports, which ``runner.py --keras`` puts back). The plots are left out.

Cut for CI: 1,000 training and 200 test images, 1 epoch.
"""
import numpy as np
import minicnn as keras                    # keras: from tensorflow import keras

fashion_mnist = keras.datasets.fashion_mnist
(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
train_images, train_labels = train_images[:1000], train_labels[:1000]
test_images, test_labels = test_images[:200], test_labels[:200]

class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
print(train_images.shape, len(train_labels), test_images.shape, len(test_labels))

train_images = train_images / 255.0
test_images = test_images / 255.0

model = keras.Sequential([
    keras.layers.Flatten(input_shape=(28, 28)),
    keras.layers.Dense(128, activation='relu'),
    keras.layers.Dense(10)
])

model.compile(optimizer='adam',
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

history = model.fit(train_images, train_labels, epochs=1)

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
print('\nTest accuracy:', test_acc)

probability_model = keras.Sequential([model,
                                      keras.layers.Softmax()])
predictions = probability_model.predict(test_images)
print(predictions.shape, np.argmax(predictions[0]) in range(10))
probability_model.summary()

img = test_images[1]
print(img.shape)
img = (np.expand_dims(img, 0))
print(img.shape)
predictions_single = probability_model.predict(img)
print(predictions_single.shape)

record = {"history_keys": list(history.history), "params": history.params,
          "sums_to_one": bool(np.allclose(predictions.sum(axis=1), 1, atol=1e-5)),
          "same_as_model": bool(np.allclose(predictions, np.exp(model.predict(test_images, verbose=0)) /
                                            np.exp(model.predict(test_images, verbose=0)).sum(1, keepdims=True),
                                            atol=1e-5))}
