"""Follows tensorflow/tpu's colab "Fashion MNIST with Keras and TPUs"
(tools/colab/fashion_mnist.ipynb): the same Keras calls in the same order, only the imports
changed (``tf.keras.X`` is written ``keras.X``; the ``# keras:`` comments give Keras's
imports, which ``runner.py --keras`` puts back). Left out: the TPU set-up (cluster resolver,
``strategy.scope()``), the version check and the plot.

Changed for Keras 3: ``save_weights`` needs a name ending in ``.weights.h5`` there
(``fashion_mnist.h5`` was Keras 2's). Cut for CI: 1,000 training and 200 test images; 2
epochs of 6 steps with validation every 2nd epoch (the colab: 17 epochs of 60 steps,
validation_freq=17).
"""
import numpy as np
import minicnn as keras                    # keras: from tensorflow import keras

(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:200], y_test[:200]

x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)


def create_model():
    model = keras.models.Sequential()
    model.add(keras.layers.BatchNormalization(input_shape=x_train.shape[1:]))
    model.add(keras.layers.Conv2D(64, (5, 5), padding='same', activation='elu'))
    model.add(keras.layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(keras.layers.Dropout(0.25))

    model.add(keras.layers.BatchNormalization(input_shape=x_train.shape[1:]))
    model.add(keras.layers.Conv2D(128, (5, 5), padding='same', activation='elu'))
    model.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(keras.layers.Dropout(0.25))

    model.add(keras.layers.BatchNormalization(input_shape=x_train.shape[1:]))
    model.add(keras.layers.Conv2D(256, (5, 5), padding='same', activation='elu'))
    model.add(keras.layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(keras.layers.Dropout(0.25))

    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(256))
    model.add(keras.layers.Activation('elu'))
    model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(10))
    model.add(keras.layers.Activation('softmax'))
    return model


model = create_model()
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3, ),
    loss='sparse_categorical_crossentropy',
    metrics=['sparse_categorical_accuracy'])

history = model.fit(
    x_train.astype(np.float32), y_train.astype(np.float32),
    epochs=2,
    steps_per_epoch=6,
    validation_data=(x_test.astype(np.float32), y_test.astype(np.float32)),
    validation_freq=2
)

model.save_weights('./fashion_mnist.weights.h5', overwrite=True)

LABEL_NAMES = ['t_shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle_boots']

cpu_model = create_model()
cpu_model.load_weights('./fashion_mnist.weights.h5')
predictions = cpu_model.predict(x_test[:16])
print(predictions.shape, [LABEL_NAMES[i] in LABEL_NAMES for i in np.argmax(predictions, axis=1)].count(True))

record = {"history": {key: len(values) for key, values in history.history.items()}, "params": history.params,
          "same_predictions": bool(np.allclose(predictions, model.predict(x_test[:16], verbose=0), atol=1e-4))}
